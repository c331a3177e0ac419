//! A YAML document as a tree that remembers where every key and value sits in the file.
//! Used only to turn JSON pointers (from the schema check and the semantic checks) into
//! file:line:col; it holds no meaning of its own and does no I/O.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// Line and column (both 1-based) of a node in the source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Position {
    pub(super) line: u64,
    pub(super) column: u64,
}

/// One YAML node, with the positions of its children.
#[derive(Debug, Clone)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<KeyText>, Spanned<Node>)>),
}

/// A mapping key rendered as text (YAML allows numbers and booleans as keys), and whether
/// it was null (`~:`, `null:` or a bare `:`).
#[derive(Debug, Clone)]
struct KeyText(String, bool);

/// The parsed document: its JSON form and where each JSON pointer came from.
#[derive(Debug, Clone)]
pub(super) struct LocatedDocument {
    pub(super) value: serde_json::Value,
    positions: HashMap<String, Position>,
    /// Null keys: the JSON pointer of the mapping holding each, and where it sits.
    null_keys: Vec<(String, Position)>,
}

impl LocatedDocument {
    /// Parses YAML text; duplicate keys and syntax errors come back as serde-saphyr errors.
    pub(super) fn parse(text: &str) -> Result<Self, serde_saphyr::Error> {
        let options = serde_saphyr::options! { strict_booleans: true };
        let root: Spanned<Node> = serde_saphyr::from_str_with_options(text, options)?;
        let mut document = Self {
            value: serde_json::Value::Null,
            positions: HashMap::new(),
            null_keys: Vec::new(),
        };
        document.value = document.index(&root, String::new());
        Ok(document)
    }

    /// Every null key (the mapping's JSON pointer, where the key sits): no key of the desired
    /// state may be null, and a forgotten entry name reads as one.
    pub(super) fn null_keys(&self) -> &[(String, Position)] {
        &self.null_keys
    }

    /// Where the value at `pointer` sits, or the nearest ancestor that exists.
    pub(super) fn position(&self, pointer: &str) -> Position {
        let mut pointer = pointer.to_string();
        loop {
            if let Some(found) = self.positions.get(&pointer) {
                return *found;
            }
            match pointer.rfind('/') {
                Some(cut) => pointer.truncate(cut),
                None => return Position { line: 1, column: 1 },
            }
        }
    }

    /// Where the key `name` of the mapping at `pointer` sits.
    pub(super) fn key_position(&self, pointer: &str, name: &str) -> Position {
        let key = format!("{pointer}/{}#key", escape(name));
        self.positions
            .get(&key)
            .copied()
            .unwrap_or_else(|| self.position(pointer))
    }
}

/// Escapes one JSON-pointer segment (RFC 6901).
pub(super) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn position_of(spanned: &Spanned<impl Sized>) -> Position {
    Position {
        line: spanned.referenced.line(),
        column: spanned.referenced.column(),
    }
}

impl LocatedDocument {
    /// `node` as JSON, remembering where it and each of its children sit.
    fn index(&mut self, node: &Spanned<Node>, pointer: String) -> serde_json::Value {
        use serde_json::Value;
        self.positions.insert(pointer.clone(), position_of(node));
        match &node.value {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::from(*i),
            Node::Uint(u) => Value::from(*u),
            Node::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Node::Str(s) => Value::String(s.clone()),
            Node::Seq(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.index(item, format!("{pointer}/{i}")))
                    .collect(),
            ),
            Node::Map(entries) => {
                let mut object = serde_json::Map::new();
                for (key, value) in entries {
                    let child = format!("{pointer}/{}", escape(&key.value.0));
                    if key.value.1 {
                        self.null_keys.push((pointer.clone(), position_of(key)));
                    }
                    self.positions
                        .insert(format!("{child}#key"), position_of(key));
                    let value = self.index(value, child);
                    object.insert(key.value.0.clone(), value);
                }
                Value::Object(object)
            }
        }
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Uint(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let node = Node::deserialize(d)?;
        let null = matches!(node, Node::Null);
        let text = match node {
            Node::Str(s) => s,
            Node::Int(i) => i.to_string(),
            Node::Uint(u) => u.to_string(),
            Node::Float(f) => f.to_string(),
            Node::Bool(b) => b.to_string(),
            Node::Null => "null".to_string(),
            Node::Seq(_) | Node::Map(_) => {
                return Err(de::Error::custom("a mapping key must be a scalar"));
            }
        };
        Ok(KeyText(text, null))
    }
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
