//! Unit tests of `etcd.rs` against a real etcd on loopback (skipped with a message when
//! `etcd` is not installed, failing when `CI` is set): `lock break` removes only the holder
//! it read.

use devicepool_sim::etcd_process::{EtcdProcess, etcd_or_skip};

use super::*;
use crate::lock::transport::TlsFiles;

fn start_etcd() -> Option<EtcdProcess> {
    if !etcd_or_skip() {
        return None;
    }
    Some(EtcdProcess::start().expect("etcd starts"))
}

fn engine(etcd: &EtcdProcess) -> Etcd {
    let transport = Transport::new(Duration::from_secs(5), &TlsFiles::default()).unwrap();
    let endpoints = vec![etcd.url().to_string()];
    Etcd::new(
        transport,
        endpoints,
        "/devicepool",
        "default",
        Duration::from_secs(30),
        None,
    )
}

fn take(engine: &Etcd) {
    assert!(matches!(
        engine.take(&Holder::this_process()),
        Ok(Take::Taken(_))
    ));
}

#[test]
fn a_break_removes_only_the_holder_it_read_not_the_one_that_took_over_since() {
    let Some(etcd) = start_etcd() else {
        return;
    };
    let (first, second, breaker) = (engine(&etcd), engine(&etcd), engine(&etcd));
    take(&first);
    let shown = breaker.status().unwrap().holder.unwrap();
    assert!(matches!(shown.left, Ok(Some(_))));
    // Between the read and the removal the holder gives it back and another run takes it.
    first.release(&RunRecord::default()).unwrap();
    take(&second);
    let refused = breaker.remove_holder(&shown).unwrap_err();
    assert!(refused.contains("changed since"), "{refused}");
    second.write_record(&RunRecord::default()).unwrap();
    // The holder read now is the one removed, and its etcd lease is revoked.
    let now = breaker.status().unwrap().holder.unwrap();
    breaker.remove_holder(&now).unwrap();
    assert!(breaker.status().unwrap().holder.is_none());
    assert!(second.write_record(&RunRecord::default()).is_err());
    assert!(second.renew().is_err());
}
