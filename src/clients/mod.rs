//! CLIENTS: one module per API, its read half and its write half together, over one HTTP
//! layer for reads (`http`: retries for GETs) and one for mutations (`http_send`: never
//! retried once sent). Clients know the wire, not the reconcilers: they decide nothing.

pub mod decode;
pub mod docker;
pub mod gitlab;
pub mod http;
pub mod http_send;
pub mod lambdatest;
pub mod maas;
pub mod reply_decode;
pub mod taskcluster;
pub mod testflinger;
pub mod unix_socket;
