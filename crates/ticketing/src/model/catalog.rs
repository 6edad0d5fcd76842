//! Productions, events, ticket types and shops.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ids::ProductionId;

/// A show, a tour or a season item; its dated performances are events.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Production {
    pub id: ProductionId,
    pub name: String,
    pub description: Option<String>,
    /// Genre or kind (theatre, concert, comedy…), for segment filters.
    pub genre: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduction {
    pub name: String,
    pub description: Option<String>,
    pub genre: Option<String>,
}

/// Fields left out stay as they are; an empty string clears an optional field.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductionPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub genre: Option<String>,
}
