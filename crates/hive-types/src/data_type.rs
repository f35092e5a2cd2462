//! OpenMetadata's `ColumnDataType` values (`entity/data/table.json#/definitions/dataType`).

use std::fmt;

macro_rules! om_data_types {
    ($($variant:ident => $wire:literal,)*) => {
        /// One value of OpenMetadata's `ColumnDataType` enum (2.0.6: 86 values).
        ///
        /// Kept here rather than taken from `om-spec` so that the parser has no
        /// dependency on generated code; [`OmDataType::as_str`] is the wire spelling,
        /// which is what a conversion to the generated type goes through.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum OmDataType {
            $(#[doc = concat!("`", $wire, "`")] $variant,)*
        }

        impl OmDataType {
            /// Every value, in the order of the OpenMetadata schema.
            pub const ALL: &'static [OmDataType] = &[$(OmDataType::$variant,)*];

            /// The value as OpenMetadata spells it on the wire, e.g. `"TIMESTAMPZ"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(OmDataType::$variant => $wire,)*
                }
            }
        }
    };
}

om_data_types! {
    Number => "NUMBER",
    TinyInt => "TINYINT",
    SmallInt => "SMALLINT",
    Int => "INT",
    BigInt => "BIGINT",
    ByteInt => "BYTEINT",
    Bytes => "BYTES",
    Float => "FLOAT",
    Double => "DOUBLE",
    Decimal => "DECIMAL",
    Numeric => "NUMERIC",
    Timestamp => "TIMESTAMP",
    TimestampZ => "TIMESTAMPZ",
    Time => "TIME",
    Date => "DATE",
    DateTime => "DATETIME",
    Interval => "INTERVAL",
    String => "STRING",
    MediumText => "MEDIUMTEXT",
    Text => "TEXT",
    Char => "CHAR",
    Long => "LONG",
    Varchar => "VARCHAR",
    Boolean => "BOOLEAN",
    Binary => "BINARY",
    Varbinary => "VARBINARY",
    Array => "ARRAY",
    Blob => "BLOB",
    LongBlob => "LONGBLOB",
    MediumBlob => "MEDIUMBLOB",
    Map => "MAP",
    Struct => "STRUCT",
    Union => "UNION",
    Set => "SET",
    Geography => "GEOGRAPHY",
    Enum => "ENUM",
    Json => "JSON",
    Uuid => "UUID",
    Variant => "VARIANT",
    Geometry => "GEOMETRY",
    Bytea => "BYTEA",
    AggregateFunction => "AGGREGATEFUNCTION",
    Error => "ERROR",
    Fixed => "FIXED",
    Record => "RECORD",
    Null => "NULL",
    Super => "SUPER",
    HllSketch => "HLLSKETCH",
    PgLsn => "PG_LSN",
    PgSnapshot => "PG_SNAPSHOT",
    TsQuery => "TSQUERY",
    TxidSnapshot => "TXID_SNAPSHOT",
    Xml => "XML",
    MacAddr => "MACADDR",
    TsVector => "TSVECTOR",
    Unknown => "UNKNOWN",
    Cidr => "CIDR",
    Inet => "INET",
    Clob => "CLOB",
    RowId => "ROWID",
    LowCardinality => "LOWCARDINALITY",
    Year => "YEAR",
    Point => "POINT",
    Polygon => "POLYGON",
    Tuple => "TUPLE",
    Spatial => "SPATIAL",
    Table => "TABLE",
    NText => "NTEXT",
    Image => "IMAGE",
    Ipv4 => "IPV4",
    Ipv6 => "IPV6",
    DateTimeRange => "DATETIMERANGE",
    Hll => "HLL",
    LargeInt => "LARGEINT",
    QuantileState => "QUANTILE_STATE",
    AggState => "AGG_STATE",
    Bitmap => "BITMAP",
    UInt => "UINT",
    Bit => "BIT",
    Money => "MONEY",
    MeasureHidden => "MEASURE HIDDEN",
    MeasureVisible => "MEASURE VISIBLE",
    Measure => "MEASURE",
    Kpi => "KPI",
    Heirarchy => "HEIRARCHY",
    HierarchyId => "HIERARCHYID",
}

impl OmDataType {
    /// The value whose wire spelling equals `name`, ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<OmDataType> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str().eq_ignore_ascii_case(name))
    }

    /// Numeric types that OpenMetadata's Glue connector leaves without a top-level
    /// `dataLength` (they carry `precision`/`scale` instead).
    pub const fn is_numeric_without_length(self) -> bool {
        matches!(
            self,
            OmDataType::Double
                | OmDataType::Number
                | OmDataType::Numeric
                | OmDataType::Float
                | OmDataType::Decimal
        )
    }

    /// Types for which the OpenMetadata server rejects a column without `dataLength`.
    pub const fn requires_length(self) -> bool {
        matches!(
            self,
            OmDataType::Char | OmDataType::Varchar | OmDataType::Binary | OmDataType::Varbinary
        )
    }

    /// Types whose parameters are precision and scale rather than a length.
    pub const fn takes_precision_scale(self) -> bool {
        matches!(
            self,
            OmDataType::Decimal | OmDataType::Numeric | OmDataType::Number
        )
    }
}

impl fmt::Display for OmDataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_the_86_values_of_openmetadata_2_0_6() {
        assert_eq!(OmDataType::ALL.len(), 86);
        let mut names: Vec<&str> = OmDataType::ALL.iter().map(|t| t.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 86, "wire names must be unique");
    }

    #[test]
    fn from_name_ignores_case_and_accepts_spaced_values() {
        assert_eq!(
            OmDataType::from_name("timestampz"),
            Some(OmDataType::TimestampZ)
        );
        assert_eq!(
            OmDataType::from_name("Measure Hidden"),
            Some(OmDataType::MeasureHidden)
        );
        assert_eq!(OmDataType::from_name("pg_lsn"), Some(OmDataType::PgLsn));
        assert_eq!(OmDataType::from_name("varchar2"), None);
    }
}
