//! `--metrics-push URL`: the run's metrics PUT to a Prometheus Pushgateway group (job
//! `devicepool`, fleet, partition), and the previous push's carried-on figures read back
//! from it. Never fails the run: every failure is a warning (and counted per API).

use crate::clients::http::Reader;
use crate::clients::http_send::Writer;
use crate::clients::pushgateway::{self, Group};
use crate::load::HttpSettings;
use crate::report::metrics::{self, Previous};
use crate::secret::Redactor;

/// The group to push to; none, with a warning, when the desired state was never loaded
/// (its fleet is unknown): the gateway keeps the previous push, whose last completed run
/// then ages until the run-health alert fires.
pub(super) fn group<'a>(
    url: &'a str,
    fleet: Option<&'a str>,
    partition: &'a str,
) -> Option<Group<'a>> {
    let Some(fleet) = fleet else {
        tracing::warn!(
            "the metrics are not pushed: the run stopped before its desired state named the fleet"
        );
        return None;
    };
    Some(Group {
        url,
        fleet,
        partition,
    })
}

/// What the previous push left in `group`; nothing carried on (a warning) when the gateway
/// cannot be read.
pub(super) fn read_previous(group: &Group<'_>) -> Previous {
    let reader = Reader::new(&HttpSettings::default(), Redactor::default());
    match pushgateway::read_group(&reader, group, &metrics::CARRIED) {
        Ok(samples) => metrics::previous_pushed(&samples),
        Err(e) => {
            tracing::warn!(
                "cannot read the previous push ({e}); the last success and held-run counts start again"
            );
            Previous::default()
        }
    }
}

/// PUTs `text` to `group`; a failure is a warning.
pub(super) fn push(group: &Group<'_>, text: &str) {
    let writer = Writer::new(&HttpSettings::default(), Redactor::default());
    if let Err(e) = pushgateway::push(&writer, group, text) {
        tracing::warn!("the metrics were not pushed ({e}); the run's outcome stands");
    }
}
