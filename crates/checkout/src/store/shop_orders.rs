//! checkout_0007: the shop an order was placed in.
//!
//! A secret shop sells its own ticket types; the organizer wants to know which orders came
//! through it (a partners' shop, a press shop). Orders from before, and every order not placed
//! in a shop, keep NULL.

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

pub struct M0007ShopOrders;

impl MigrationName for M0007ShopOrders {
    fn name(&self) -> &str {
        "checkout_0007_shop_orders"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0007ShopOrders {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(name("checkout_orders"))
                    .add_column(id_ref_null("shop_id"))
                    .to_owned(),
            )
            .await
    }
}
