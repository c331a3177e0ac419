//! Unit tests of `reconcilers/racks/redeploy.rs`.
