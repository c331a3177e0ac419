//! The Testflinger OAuth2 client-credentials token: one exchange (`POST /v1/oauth2/token`,
//! which changes nothing) per run, renewed only within a minute of expiry, and the bearer the
//! reads and the job submissions send. Never prints a token.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::{API, url};
use crate::clients::http::{ApiError, Reader, display_url};
use crate::secret::Secret;

/// A token this close to expiry is renewed before use.
const RENEW_MARGIN: SignedDuration = SignedDuration::from_secs(60);

#[derive(Deserialize)]
struct WireToken {
    access_token: String,
    expires_in: i64,
}

/// An access token and when it stops working.
#[derive(Debug, Clone)]
pub struct Token {
    pub access_token: Secret,
    pub expires_at: Timestamp,
}

impl Token {
    /// True while the token has more than a minute left at `now`.
    pub fn is_fresh(&self, now: Timestamp) -> bool {
        now + RENEW_MARGIN < self.expires_at
    }
}

/// Client credentials plus the current token, renewed when it is about to expire.
#[derive(Debug)]
pub struct TokenSource {
    pub client_id: String,
    pub client_secret: Secret,
    token: Option<Token>,
}

impl TokenSource {
    pub fn new(client_id: String, client_secret: Secret) -> TokenSource {
        TokenSource {
            client_id,
            client_secret,
            token: None,
        }
    }

    /// A fresh access token, fetching a new one when there is none or it expires within a
    /// minute of `now`.
    pub fn access_token(
        &mut self,
        reader: &Reader,
        base: &str,
        now: Timestamp,
    ) -> Result<Secret, ApiError> {
        match &self.token {
            Some(t) if t.is_fresh(now) => Ok(t.access_token.clone()),
            _ => {
                let token = fetch_token(reader, base, &self.client_id, &self.client_secret, now)?;
                let access = token.access_token.clone();
                self.token = Some(token);
                Ok(access)
            }
        }
    }
}

/// `POST /v1/oauth2/token` with HTTP Basic `client_id:client_secret`. `now` is the caller's
/// clock, used to turn `expires_in` into an instant.
pub fn fetch_token(
    reader: &Reader,
    base: &str,
    client_id: &str,
    client_secret: &Secret,
    now: Timestamp,
) -> Result<Token, ApiError> {
    use base64::Engine as _;
    let pair = format!("{client_id}:{}", client_secret.expose());
    let basic = Secret::new(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    ));
    let endpoint = url(base, "/v1/oauth2/token");
    let wire: WireToken = reader.post_for_token(API, &endpoint, basic.expose())?;
    let token = token_from_wire(wire, now).map_err(|message| {
        ApiError::undecodable(API, "POST", display_url(&endpoint, &[]), message)
    })?;
    // Every client redacts it from now on: an upstream may echo it in any error body.
    reader.learn_secret(&token.access_token);
    Ok(token)
}

/// Decodes a token reply exactly as `fetch_token` does; `now` is the caller's clock.
pub(crate) fn decode_token(body: &str, now: Timestamp) -> Result<Token, String> {
    let wire: WireToken = serde_json::from_str(body).map_err(|e| e.to_string())?;
    token_from_wire(wire, now)
}

/// The token and its expiry instant; an `expires_in` that puts the expiry outside the
/// representable range of instants (the server's number, not ours) is a decode error.
fn token_from_wire(wire: WireToken, now: Timestamp) -> Result<Token, String> {
    let expires_at = now
        .checked_add(SignedDuration::from_secs(wire.expires_in))
        .map_err(|_| format!("expires_in {} is out of range", wire.expires_in))?;
    Ok(Token {
        access_token: Secret::new(wire.access_token),
        expires_at,
    })
}

/// A Testflinger bearer token when client credentials are configured.
pub fn bearer(
    desired: &crate::load::Desired,
    reader: &Reader,
    credentials: &crate::clients::ReadCredentials,
    now: Timestamp,
) -> Result<Option<Secret>, ApiError> {
    match (
        &desired.sources.testflinger,
        &credentials.testflinger_tokens,
    ) {
        (Some(tf), Some(tokens)) => tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .access_token(reader, &tf.url, now)
            .map(Some),
        _ => Ok(None),
    }
}
