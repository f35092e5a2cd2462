//! Conversion to the generated OpenMetadata `Column` (`om-spec`).

use om_spec::generated::entity::data::table::{Column, DataType};

use crate::data_type::OmDataType;
use crate::mapping::{MappedColumn, MappedType};

impl From<OmDataType> for DataType {
    fn from(data_type: OmDataType) -> DataType {
        // Both enums spell the same 86 wire values; the generated one reads its own
        // spelling, and a value it did not know would be kept as `Unrecognized`.
        let wire = data_type.as_str();
        om_spec::convert(&wire).unwrap_or_else(|_| DataType::Unrecognized(wire.to_owned()))
    }
}

impl MappedType {
    /// The OpenMetadata column for this type: `name`, `description` and
    /// `ordinalPosition` from the caller, the type fields and nested columns from the
    /// mapping (nested columns get their field comment as description and no
    /// ordinal, as OpenMetadata's connectors send them). Other fields (`displayName`,
    /// `tags`, ...) are left unset for the caller.
    pub fn into_om_column(
        self,
        name: impl Into<String>,
        description: Option<String>,
        ordinal_position: Option<i64>,
    ) -> Column {
        let mut column = Column::new(name.into(), self.data_type.into());
        column.description = description;
        column.ordinal_position = ordinal_position;
        column.array_data_type = self.array_data_type.map(DataType::from);
        column.data_length = self.data_length.map(i64::from);
        column.precision = self.precision.map(i64::from);
        column.scale = self.scale.map(i64::from);
        column.data_type_display = Some(self.data_type_display);
        column.children = self.children.map(|children| {
            children
                .into_iter()
                .map(MappedColumn::into_om_column)
                .collect()
        });
        column
    }
}

impl MappedColumn {
    /// The nested OpenMetadata column for this field.
    pub fn into_om_column(self) -> Column {
        self.ty.into_om_column(self.name, self.description, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map_type;

    #[test]
    fn every_data_type_has_a_generated_counterpart() {
        for &data_type in OmDataType::ALL {
            let converted = DataType::from(data_type);
            assert!(
                !matches!(converted, DataType::Unrecognized(_)),
                "{data_type} unknown to om-spec"
            );
            assert_eq!(converted.as_str(), data_type.as_str());
        }
    }

    #[test]
    fn nested_column_serialises_as_openmetadata_expects() {
        let column = map_type("struct<a:int COMMENT 'first',b:array<varchar(5)>,c:struct<>>")
            .unwrap()
            .into_om_column("payload", Some("the payload".into()), Some(3));
        let json = serde_json::to_value(&column).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "name": "payload",
                "description": "the payload",
                "dataType": "STRUCT",
                "dataLength": 1,
                "dataTypeDisplay": "struct<a:int COMMENT 'first',b:array<varchar(5)>,c:struct<>>",
                "ordinalPosition": 3,
                "children": [
                    {"name": "a", "description": "first", "dataType": "INT", "dataTypeDisplay": "int"},
                    {"name": "b", "dataType": "ARRAY", "arrayDataType": "VARCHAR",
                     "dataTypeDisplay": "array<varchar(5)>"},
                    {"name": "c", "dataType": "STRUCT", "dataTypeDisplay": "struct<>", "children": []}
                ]
            })
        );
    }
}
