//! Values across the boundary, both ways, through serde-wasm-bindgen: no JSON text. Reading
//! names the field that is wrong (or unknown), so a caller's mistake is a clear `LumaError`.

use js_sys::{Array, Object, Reflect};
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Serialize;
use wasm_bindgen::JsValue;

use crate::model::Issue;

/// Plain JS objects (not `Map`s) and `null` for absent values, as JSON would have them.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// Reads `value` (named `what` in messages, e.g. `request`) into `T`, from its own fields, at
/// once. A wrong type names the field; a key `T` does not have is refused too, since a typo
/// (`aspect_ratio` for `aspectRatio`) would otherwise be silently ignored.
pub fn read<T: DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, Vec<Issue>> {
    if !value.is_object() || Array::is_array(value) {
        return Err(vec![issue(
            what,
            "type",
            format!("{what} must be an object"),
        )]);
    }
    let object = Object::from(value.clone());
    let unknown: Vec<Issue> = Object::keys(&object)
        .iter()
        .filter_map(|k| k.as_string())
        .filter(|k| !field_names::<T>().contains(&k.as_str()))
        // Undefined values are absent, and methods (a `toJSON` log hook) are not data.
        .filter(|k| {
            !Reflect::get(value, &k.into()).is_ok_and(|v| v.is_undefined() || v.is_function())
        })
        .map(|k| {
            let message = format!("`{k}` is not a field of {what}");
            issue(&format!("{what}.{k}"), "unknown", message)
        })
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    serde_wasm_bindgen::from_value(value.clone()).map_err(|e| {
        let field = culprit::<T>(&object, &e.to_string())
            .map_or(what.to_string(), |k| format!("{what}.{k}"));
        vec![issue(&field, "type", format!("{field}: {e}"))]
    })
}

/// Optional options: `undefined` and `null` read as the defaults.
pub fn read_options<T: DeserializeOwned + Default>(
    value: &JsValue,
    what: &str,
) -> Result<T, Vec<Issue>> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    read(value, what)
}

pub fn issue(field: &str, rule: &str, message: String) -> Issue {
    Issue {
        field: field.into(),
        rule: rule.into(),
        message,
    }
}

/// The key whose removal changes the error: the one that is wrong.
fn culprit<T: DeserializeOwned>(object: &Object, error: &str) -> Option<String> {
    Object::keys(object)
        .iter()
        .filter_map(|k| k.as_string())
        .find(|k| {
            let rest = Object::assign(&Object::new(), object);
            let _ = Reflect::delete_property(&rest, &k.into());
            match serde_wasm_bindgen::from_value::<T>(rest.into()) {
                Ok(_) => true,
                Err(e) => e.to_string() != error,
            }
        })
}

/// The field names serde's derive gives `T`, caught from its `deserialize_struct` call.
fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut names));
    names
}

struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("names only"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}
