//! A JSON body that must be an object: serde's derive would also take a
//! struct's fields as an array (`[null, null]`), which the API documents as
//! refused.

use serde::de::DeserializeOwned;
use serde::Deserialize;

pub struct Object<T>(pub T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let object = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        serde_json::from_value(serde_json::Value::Object(object))
            .map(Object)
            .map_err(serde::de::Error::custom)
    }
}
