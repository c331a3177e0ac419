//! Whose an object is: the fleet name and the keyed MAC every object devicepool creates
//! carries, and the one verdict every kind's claim of ownership goes through. Pure: no I/O,
//! no clock; the key is handed in by the edge and never printed.

mod hmac;

use crate::load::Desired;
use crate::secret::Secret;
pub use crate::snapshot::LookAlike;
use crate::snapshot::recording::JudgedFor;

/// `settings.fleet` when the file names none: the fleet objects made before fleets existed
/// (without any fleet marker) belong to.
pub const DEFAULT_FLEET: &str = "default";

/// Why an object made before fleets (no marker) is a look-alike to a named fleet: it may be
/// the default fleet's, so it is never touched, but the devices and agents it names are not
/// used either (two jobs on one device otherwise, after naming the fleet on upgrade).
pub const PRE_FLEET: &str = "made before fleets; this fleet is named";

/// Prefix of the fleet marker (HyperExecute label, Testflinger tag, runner description word).
pub const FLEET_PREFIX: &str = "fleet:";
/// Prefix of the MAC marker, in the same places.
pub const MAC_PREFIX: &str = "mac:";
/// Hex characters of a MAC: 64 bits of HMAC-SHA-256.
const MAC_HEX: usize = 16;

/// What sort of object a MAC vouches for; part of what is signed, so a MAC of one kind never
/// validates for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    /// A HyperExecute job of a device pool; identity: the device's UDID.
    Job,
    /// A Testflinger deploy of a rack; identity: the agent.
    Deploy,
    /// A GitLab runner of a runner pool; identity: its name `devicepool-<pool>-<stamp>-<n>`.
    Runner,
    /// A runner's container; identity: the GitLab runner id it serves.
    Container,
}

impl Object {
    fn word(self) -> &'static str {
        match self {
            Object::Job => "job",
            Object::Deploy => "deploy",
            Object::Runner => "runner",
            Object::Container => "container",
        }
    }
}

/// The fleet markers an object carries, as read: `None` when it has none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Marks<'a> {
    pub fleet: Option<&'a str>,
    pub mac: Option<&'a str>,
    /// The digest of the spec the object was made from (`spec:<hex>`); not part of what the
    /// MAC signs, so it only tells generations apart and never proves ownership.
    pub spec: Option<&'a str>,
}

/// What an object that looks like devicepool's is to this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Ours: counted, re-checked, touched.
    Ours,
    /// Another fleet's (it names that fleet): left alone, not listed, holds nothing of ours.
    OtherFleet,
    /// Claims this fleet but cannot prove it: never counted, touched or removed; listed in
    /// the plan with the reason.
    LookAlike(&'static str),
}

/// This desired state's fleet and, when set, its ownership key.
#[derive(Clone, Copy)]
pub struct Ownership<'a> {
    pub fleet: &'a str,
    key: Option<&'a Secret>,
}

impl<'a> Ownership<'a> {
    /// The fleet and key of `desired` (the key as the edge read it).
    pub fn of(desired: &'a Desired) -> Self {
        Ownership {
            fleet: &desired.settings.fleet,
            key: desired.ownership_key.as_ref(),
        }
    }

    /// A fleet and key given directly (the key as the edge read it).
    pub fn new(fleet: &'a str, key: Option<&'a Secret>) -> Self {
        Ownership { fleet, key }
    }

    /// True when objects without any fleet marker (made before fleets existed) may be ours:
    /// the fleet is the default one and no key is set.
    pub fn takes_unmarked(&self) -> bool {
        self.fleet == DEFAULT_FLEET && self.key.is_none()
    }

    /// True when an ownership key is set.
    pub fn keyed(&self) -> bool {
        self.key.is_some()
    }

    /// The MAC of `object` of `pool` with `identity`, as 16 hex characters; `None` without
    /// a key.
    pub fn mac(&self, object: Object, pool: &str, identity: &str) -> Option<String> {
        let key = self.key?;
        let message = [
            "devicepool-ownership-v1",
            self.fleet,
            object.word(),
            pool,
            identity,
        ]
        .join("\0");
        let mac = hmac::hmac_sha256(key.expose().as_bytes(), message.as_bytes());
        Some(mac.iter().map(|b| format!("{b:02x}")).collect::<String>()[..MAC_HEX].to_string())
    }

    /// Whose objects a reading takes as its own: the fleet and a fingerprint of the key
    /// (the first 8 hex of SHA-256 over HMAC(key, "fingerprint"); never the key).
    pub fn judged_for(&self) -> JudgedFor {
        let key_fingerprint = self.key.map(|key| {
            let mac = hmac::hmac_sha256(key.expose().as_bytes(), b"fingerprint");
            let digest = <sha2::Sha256 as sha2::Digest>::digest(mac);
            digest[..4].iter().map(|b| format!("{b:02x}")).collect()
        });
        JudgedFor {
            fleet: self.fleet.to_string(),
            key_fingerprint,
        }
    }

    /// The markers a new object carries, each a `prefix:value` word: the fleet, then the
    /// MAC when a key is set.
    pub fn marks(&self, object: Object, pool: &str, identity: &str) -> Vec<String> {
        let mut marks = vec![format!("{FLEET_PREFIX}{}", self.fleet)];
        marks.extend(
            self.mac(object, pool, identity)
                .map(|mac| format!("{MAC_PREFIX}{mac}")),
        );
        marks
    }

    /// Judges an object that looks like one of ours for `pool` with `identity` by the
    /// markers it carries.
    pub fn judge(&self, marks: Marks<'_>, object: Object, pool: &str, identity: &str) -> Verdict {
        match marks.fleet {
            None if self.key.is_some() => {
                Verdict::LookAlike("it carries no fleet name or ownership MAC")
            }
            None if self.fleet == DEFAULT_FLEET => Verdict::Ours,
            None => Verdict::LookAlike(PRE_FLEET),
            Some(fleet) if fleet != self.fleet => Verdict::OtherFleet,
            Some(_) => match (self.mac(object, pool, identity), marks.mac) {
                (None, _) => Verdict::Ours,
                (Some(_), None) => Verdict::LookAlike("it carries no ownership MAC"),
                (Some(want), Some(have)) if hmac::same_bytes(want.as_bytes(), have.as_bytes()) => {
                    Verdict::Ours
                }
                (Some(_), Some(_)) => Verdict::LookAlike(
                    "its ownership MAC is not valid for it (copied from another object?)",
                ),
            },
        }
    }

    /// Reads the markers among `words` (the labels, tags or description words after an
    /// object's name): `None` when a word is not a marker or a marker comes twice.
    pub fn read_marks<'w>(words: impl IntoIterator<Item = &'w str>) -> Option<Marks<'w>> {
        let mut marks = Marks::default();
        for word in words {
            let (slot, value) = if let Some(fleet) = word.strip_prefix(FLEET_PREFIX) {
                (&mut marks.fleet, fleet)
            } else if let Some(spec) = word.strip_prefix(crate::reconcilers::rollout::SPEC_PREFIX) {
                (&mut marks.spec, spec)
            } else {
                (&mut marks.mac, word.strip_prefix(MAC_PREFIX)?)
            };
            if slot.replace(value).is_some() {
                return None;
            }
        }
        Some(marks)
    }
}

/// A look-alike of `object` claiming `pool`, named by `name`, for the plan to show.
pub fn look_alike(object: Object, pool: &str, name: String, reason: &str) -> LookAlike {
    LookAlike {
        object: object.word().to_string(),
        pool: pool.to_string(),
        name,
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests;
