//! Request parameters and offset pagination for the fake GitLab, as Grape and GitLab's
//! `OffsetHeaderBuilder` do them: params merged from query, form and JSON bodies; `page`,
//! `per_page` (default 20, clamped to 100); `X-Page`, `X-Per-Page`, `X-Next-Page` (EMPTY on
//! the last page), `X-Prev-Page`, `Link` on the configured external URL, and `X-Total*` only
//! where GitLab counts.

use serde_json::Value;

use super::gitlab::EXTERNAL_URL;
use super::gitlab_routes::invalid;
use super::http::{Request, Response};

/// All parameters of a request, `name[]` folded into `name`, in order.
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    /// Query string plus a form or JSON body (Grape reads all three).
    pub(super) fn parse(req: &Request) -> Result<Params, Response> {
        let mut pairs = req.query_pairs();
        let body_type = req.header("content-type").unwrap_or_default();
        if !req.body.is_empty() && body_type.starts_with("application/json") {
            let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&req.body) else {
                return Err(Response::json(
                    400,
                    &serde_json::json!({"message": "400 Bad request - JSON parse error"}),
                ));
            };
            for (k, v) in map {
                match v {
                    Value::Array(items) => {
                        pairs.extend(items.iter().map(|i| (k.clone(), scalar(i))));
                    }
                    other => pairs.push((k, scalar(&other))),
                }
            }
        } else if !req.body.is_empty() {
            let form = Request::new("POST", &format!("/?{}", String::from_utf8_lossy(&req.body)));
            pairs.extend(form.query_pairs());
        }
        let pairs = pairs
            .into_iter()
            .map(|(k, v)| (k.trim_end_matches("[]").to_string(), v))
            .collect();
        Ok(Params(pairs))
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The last value given for `name`.
    pub(super) fn one(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value given for `name` (repeated or `name[]`).
    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A list parameter: repeated values, each also split on commas.
    pub(super) fn list(&self, name: &str) -> Vec<String> {
        self.all(name)
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }

    /// A Grape `Boolean`: `true`/`false`/`1`/`0`..., else 400 `<name> is invalid`.
    pub(super) fn boolean(&self, name: &str) -> Result<Option<bool>, Response> {
        match self.one(name).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(None),
            Some("true" | "1" | "t" | "yes" | "y") => Ok(Some(true)),
            Some("false" | "0" | "f" | "no" | "n") => Ok(Some(false)),
            Some(_) => Err(invalid(&format!("{name} is invalid"))),
        }
    }

    fn integer(&self, name: &str, default: i64) -> Result<i64, Response> {
        match self.one(name) {
            None | Some("") => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| invalid(&format!("{name} is invalid"))),
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One page of `items` with GitLab's headers. `counted` = send `X-Total`, `X-Total-Pages`
/// and `rel="last"` (GitLab skips them for project jobs).
pub(super) fn paginate(
    req: &Request,
    params: &Params,
    items: Vec<Value>,
    counted: bool,
) -> Response {
    let (page, per_page) = match (params.integer("page", 1), params.integer("per_page", 20)) {
        (Ok(p), Ok(pp)) => (
            p.max(1) as usize,
            if pp < 1 { 20 } else { pp.min(100) as usize },
        ),
        (Err(resp), _) | (_, Err(resp)) => return resp,
    };
    let total = items.len();
    let start = (page - 1).saturating_mul(per_page);
    let rows: Vec<Value> = items.into_iter().skip(start).take(per_page).collect();
    let has_next = total > start.saturating_add(per_page);
    let next = if has_next {
        (page + 1).to_string()
    } else {
        String::new()
    };
    let prev = if page > 1 {
        (page - 1).to_string()
    } else {
        String::new()
    };
    let total_pages = total.div_ceil(per_page).max(1);
    let link = |p: usize, rel: &str| {
        let mut query: Vec<String> = req
            .query
            .split('&')
            .filter(|kv| !kv.is_empty())
            .filter(|kv| !matches!(kv.split('=').next(), Some("page" | "per_page")))
            .map(String::from)
            .collect();
        query.push(format!("page={p}"));
        query.push(format!("per_page={per_page}"));
        format!(
            "<{EXTERNAL_URL}{}?{}>; rel=\"{rel}\"",
            req.path,
            query.join("&")
        )
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link(page - 1, "prev"));
    }
    if has_next {
        links.push(link(page + 1, "next"));
    }
    links.push(link(1, "first"));
    if counted {
        links.push(link(total_pages, "last"));
    }
    let mut resp = Response::json(200, &Value::Array(rows))
        .with_header("X-Page", &page.to_string())
        .with_header("X-Per-Page", &per_page.to_string())
        .with_header("X-Next-Page", &next)
        .with_header("X-Prev-Page", &prev)
        .with_header("Link", &links.join(", "));
    if counted {
        resp = resp
            .with_header("X-Total", &total.to_string())
            .with_header("X-Total-Pages", &total_pages.to_string());
    }
    resp
}
