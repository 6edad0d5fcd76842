//! Helpers for writing migrations once for both backends.
//!
//! Every table an organization owns starts with `organization_id` and has it leading its primary
//! key and unique indexes (DESIGN §2.2a), so the schema can later be distributed by organization.

use sea_orm_migration::prelude::*;

pub fn name(value: &str) -> Alias {
    Alias::new(value)
}

/// `CREATE TABLE name (organization_id, id, …, PRIMARY KEY (organization_id, id))`.
pub fn tenant_table(table: &str) -> TableCreateStatement {
    let mut create = Table::create();
    create
        .table(name(table))
        .col(
            ColumnDef::new(name("organization_id"))
                .string_len(40)
                .not_null(),
        )
        .col(ColumnDef::new(name("id")).string_len(40).not_null())
        .primary_key(Index::create().col(name("organization_id")).col(name("id")));
    create
}

pub fn text(column: &str) -> ColumnDef {
    ColumnDef::new(name(column)).text().not_null().to_owned()
}

pub fn text_null(column: &str) -> ColumnDef {
    ColumnDef::new(name(column)).text().null().to_owned()
}

pub fn id_ref(column: &str) -> ColumnDef {
    ColumnDef::new(name(column))
        .string_len(40)
        .not_null()
        .to_owned()
}

pub fn id_ref_null(column: &str) -> ColumnDef {
    ColumnDef::new(name(column))
        .string_len(40)
        .null()
        .to_owned()
}

pub fn int(column: &str) -> ColumnDef {
    ColumnDef::new(name(column))
        .big_integer()
        .not_null()
        .to_owned()
}

pub fn int_null(column: &str) -> ColumnDef {
    ColumnDef::new(name(column)).big_integer().null().to_owned()
}

pub fn int_default(column: &str, value: i64) -> ColumnDef {
    ColumnDef::new(name(column))
        .big_integer()
        .not_null()
        .default(value)
        .to_owned()
}

pub fn float_null(column: &str) -> ColumnDef {
    ColumnDef::new(name(column)).double().null().to_owned()
}

pub fn boolean(column: &str, default: bool) -> ColumnDef {
    ColumnDef::new(name(column))
        .boolean()
        .not_null()
        .default(default)
        .to_owned()
}

pub fn timestamp(column: &str) -> ColumnDef {
    ColumnDef::new(name(column))
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

pub fn timestamp_null(column: &str) -> ColumnDef {
    ColumnDef::new(name(column))
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

pub fn date_null(column: &str) -> ColumnDef {
    ColumnDef::new(name(column)).date().null().to_owned()
}

pub fn json(column: &str) -> ColumnDef {
    ColumnDef::new(name(column)).json().not_null().to_owned()
}

/// An index on `table` over `columns`; the name is derived so it stays unique.
pub fn index(table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(name(table));
    for column in columns {
        index.col(name(column));
    }
    index
}

/// A unique index on `table` over `columns`.
pub fn unique(table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = index(table, columns);
    index
        .name(format!("ux_{table}_{}", columns.join("_")))
        .unique();
    index
}

/// Creates the tables then the indexes, in order.
pub async fn create_all(
    manager: &SchemaManager<'_>,
    tables: Vec<TableCreateStatement>,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    for table in tables {
        manager.create_table(table).await?;
    }
    for index in indexes {
        manager.create_index(index).await?;
    }
    Ok(())
}
