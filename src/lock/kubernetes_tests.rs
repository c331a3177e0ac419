//! Unit tests of `kubernetes.rs` against the simulated API server: `lock break` removes only
//! the holder it read.

use devicepool_sim::{KubernetesSim, SIM_KUBERNETES_TOKEN};

use super::*;
use crate::lock::transport::TlsFiles;

fn engine(sim: &KubernetesSim) -> Kubernetes {
    Kubernetes {
        transport: Transport::new(Duration::from_secs(5), &TlsFiles::default()).unwrap(),
        url: sim.url(),
        namespace: "lab".into(),
        name: "devicepool".into(),
        token: SIM_KUBERNETES_TOKEN.into(),
        ttl: Duration::from_secs(30),
        lease: Mutex::new(None),
    }
}

#[test]
fn a_break_removes_only_the_holder_it_read_not_the_lease_as_renewed_since() {
    let sim = KubernetesSim::start().unwrap();
    let (holder, breaker) = (engine(&sim), engine(&sim));
    assert!(matches!(
        holder.take(&Holder::this_process()),
        Ok(Take::Taken(_))
    ));
    let shown = breaker.status().unwrap().holder.unwrap();
    // Renewed between the read and the removal: a new resourceVersion.
    holder.renew().unwrap();
    let refused = breaker.remove_holder(&shown).unwrap_err();
    assert!(refused.contains("changed since"), "{refused}");
    holder.renew().unwrap();
    let now = breaker.status().unwrap().holder.unwrap();
    breaker.remove_holder(&now).unwrap();
    assert!(breaker.status().unwrap().holder.is_none());
    assert!(holder.renew().is_err());
}
