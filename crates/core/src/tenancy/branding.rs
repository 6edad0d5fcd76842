//! The organization's look in its shop: a brand colour and a logo.
//!
//! The logo is a small PNG or JPEG kept in the database beside the colour (one row per
//! organization): it is read on every shop page's logo request, is at most [`MAX_LOGO_BYTES`],
//! and needs no file store to be configured. SVG is refused: an SVG is a document that may carry
//! scripts, and the logo is served from our own origin.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use sea_orm_migration::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::Caller;
use super::service::record_audit;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::ids::OrgId;
use crate::schema::{create_all, name, text_null, timestamp};

/// The largest logo accepted (a shop header shows it at most a few hundred pixels wide).
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

/// The organization's look as the shop draws it.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Branding {
    /// `#rrggbb`, lower case; `None`: the shop's default colour.
    pub brand_color: Option<String>,
    /// The text colour readable on the brand colour (`#000000` or `#ffffff`).
    pub text_color: Option<String>,
    /// `image/png` or `image/jpeg` when there is a logo.
    pub logo_content_type: Option<String>,
    pub logo_bytes: Option<usize>,
    /// When the logo last changed: the shop's logo address carries it, so a new logo is never
    /// hidden by a cached old one.
    pub logo_updated_at: Option<DateTime<Utc>>,
    /// The logo's public, cached address in the shop (set by the API, which knows the slug).
    pub logo_url: Option<String>,
    /// When anything of the branding last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

impl Branding {
    /// The logo's version in its public address (`?v=`): changes whenever the logo does.
    pub fn logo_version(&self) -> Option<i64> {
        self.logo_updated_at.map(|t| t.timestamp_millis())
    }

    /// The brand stylesheet's version in its address: changes with every save (0 before any).
    pub fn version(&self) -> i64 {
        self.updated_at.map_or(0, |t| t.timestamp_millis())
    }

    /// The shop's brand stylesheet: the colour and its readable text colour as CSS custom
    /// properties (pages allow no inline style, so the colour comes as a stylesheet). Empty
    /// without a colour. The colour was validated as `#rrggbb` when saved.
    pub fn stylesheet(&self) -> String {
        match (&self.brand_color, &self.text_color) {
            // Links sit on the page's white: the colour when it is dark enough to read there
            // (white text reads better on it), else the text colour.
            (Some(color), Some(text)) => {
                let link = if text == "#ffffff" {
                    color.as_str()
                } else {
                    "#1f1f1f"
                };
                format!(":root{{--brand:{color};--brand-text:{text};--brand-link:{link}}}\n")
            }
            _ => String::new(),
        }
    }
}

/// The brand colour to set (`None` or empty: back to the default).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandingPatch {
    pub brand_color: Option<String>,
}

/// A stored logo, as served.
#[derive(Debug, Clone)]
pub struct Logo {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    pub updated_at: DateTime<Utc>,
}

/// A brand colour must be `#rrggbb` (what a colour picker sends); stored lower case. Empty means
/// none.
pub fn validate_brand_color(value: &str) -> Result<Option<String>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let hex = value.strip_prefix('#').unwrap_or("");
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(Some(format!("#{}", hex.to_ascii_lowercase())))
    } else {
        Err(Error::invalid(
            "brand_color",
            format!(
                "`{}` is not a colour; use #rrggbb, for example #7a1f3d",
                value.chars().take(40).collect::<String>()
            ),
        ))
    }
}

/// The text colour with the higher contrast on `color` (`#rrggbb`): black or white, by the
/// WCAG relative luminance (contrast against black is `(L + 0.05) / 0.05`, against white
/// `1.05 / (L + 0.05)`; they are equal at L ≈ 0.179).
pub fn text_color_on(color: &str) -> &'static str {
    let hex = color.trim_start_matches('#');
    let channel = |i: usize| {
        let v = hex
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .map_or(0.0, |v| f64::from(v) / 255.0);
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
    if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) {
        "#000000"
    } else {
        "#ffffff"
    }
}

/// The logo's type read from its first bytes (never from what the browser claims): PNG or JPEG,
/// else refused, as is anything over [`MAX_LOGO_BYTES`].
pub fn validate_logo(bytes: &[u8]) -> Result<&'static str> {
    if bytes.is_empty() {
        return Err(Error::invalid("logo", "choose a PNG or JPEG file"));
    }
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(Error::invalid(
            "logo",
            format!(
                "the logo is {} KB; at most {} KB",
                bytes.len().div_ceil(1024),
                MAX_LOGO_BYTES / 1024
            ),
        ));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else {
        Err(Error::invalid(
            "logo",
            "the logo must be a PNG or JPEG image (SVG and other formats are not accepted)",
        ))
    }
}

pub mod organization_branding {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "organization_branding")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        pub brand_color: Option<String>,
        pub logo: Option<Vec<u8>>,
        pub logo_content_type: Option<String>,
        pub logo_updated_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use organization_branding as rows;

/// core_0007: the organizations' brand colour and logo (a table of its own, so an organization
/// without branding has no row and the organizations table keeps its shape).
pub struct M0007Branding;

impl MigrationName for M0007Branding {
    fn name(&self) -> &str {
        "core_0007_branding"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0007Branding {
    async fn up(&self, manager: &SchemaManager) -> std::result::Result<(), DbErr> {
        let table = Table::create()
            .table(name("organization_branding"))
            .col(
                ColumnDef::new(name("organization_id"))
                    .string_len(40)
                    .not_null()
                    .primary_key(),
            )
            .col(text_null("brand_color"))
            .col(ColumnDef::new(name("logo")).blob().null())
            .col(text_null("logo_content_type"))
            .col(
                ColumnDef::new(name("logo_updated_at"))
                    .timestamp_with_time_zone()
                    .null(),
            )
            .col(timestamp("updated_at"))
            .to_owned();
        create_all(manager, vec![table], vec![]).await
    }
}

fn branding_of(row: Option<rows::Model>) -> Branding {
    let Some(row) = row else {
        return Branding::default();
    };
    Branding {
        text_color: row
            .brand_color
            .as_deref()
            .map(|c| text_color_on(c).to_string()),
        brand_color: row.brand_color,
        logo_bytes: row.logo.as_ref().map(Vec::len),
        logo_content_type: row.logo.as_ref().and(row.logo_content_type),
        logo_updated_at: row.logo.as_ref().and(row.logo_updated_at),
        logo_url: None,
        updated_at: Some(row.updated_at),
    }
}

/// A change to one organization's row, made on the row or on a new one.
enum Change {
    Color(Option<String>),
    Logo(Option<(&'static str, Vec<u8>)>),
}

/// Reads and changes an organization's branding.
pub struct BrandingService {
    db: Db,
}

impl BrandingService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The organization's brand colour and logo (the default look when none was set).
    pub async fn branding(&self, org: &OrgId) -> Result<Branding> {
        let row = rows::Entity::find_by_id(org.as_str())
            .one(self.db.reader())
            .await?;
        Ok(branding_of(row))
    }

    /// The organization's logo, for its public address.
    pub async fn logo(&self, org: &OrgId) -> Result<Option<Logo>> {
        let row = rows::Entity::find_by_id(org.as_str())
            .one(self.db.reader())
            .await?;
        Ok(row.and_then(|r| {
            let bytes = r.logo?;
            // Served only as what it was checked to be on upload.
            let content_type = validate_logo(&bytes).ok()?;
            Some(Logo {
                content_type,
                bytes,
                updated_at: r.logo_updated_at.unwrap_or(r.updated_at),
            })
        }))
    }

    /// Sets (or with an empty colour, clears) the brand colour.
    pub async fn set_brand_color(&self, caller: &Caller, patch: BrandingPatch) -> Result<Branding> {
        let color = validate_brand_color(patch.brand_color.as_deref().unwrap_or(""))?;
        self.change_branding(caller, Change::Color(color)).await
    }

    /// Replaces the logo with `bytes` (a PNG or JPEG of at most [`MAX_LOGO_BYTES`]).
    pub async fn set_logo(&self, caller: &Caller, bytes: Vec<u8>) -> Result<Branding> {
        let content_type = validate_logo(&bytes)?;
        self.change_branding(caller, Change::Logo(Some((content_type, bytes))))
            .await
    }

    pub async fn remove_logo(&self, caller: &Caller) -> Result<Branding> {
        self.change_branding(caller, Change::Logo(None)).await
    }

    async fn change_branding(&self, caller: &Caller, change: Change) -> Result<Branding> {
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        let found = rows::Entity::find_by_id(caller.org.as_str())
            .one(&txn)
            .await?;
        let exists = found.is_some();
        let mut active = match found {
            Some(row) => row.into_active_model(),
            None => rows::ActiveModel {
                organization_id: Set(caller.org.to_string()),
                brand_color: Set(None),
                logo: Set(None),
                logo_content_type: Set(None),
                logo_updated_at: Set(None),
                updated_at: Set(now),
            },
        };
        let details = match change {
            Change::Color(color) => {
                let details = serde_json::json!({ "brand_color": color });
                active.brand_color = Set(color);
                details
            }
            Change::Logo(logo) => {
                let details = serde_json::json!({
                    "logo_content_type": logo.as_ref().map(|(t, _)| *t),
                    "logo_bytes": logo.as_ref().map(|(_, b)| b.len()),
                });
                let (content_type, bytes) = logo.unzip();
                active.logo = Set(bytes);
                active.logo_content_type = Set(content_type.map(str::to_string));
                active.logo_updated_at = Set(Some(now));
                details
            }
        };
        active.updated_at = Set(now);
        let saved = if exists {
            active.update(&txn).await?
        } else {
            active.insert(&txn).await?
        };
        record_audit(
            &txn,
            caller,
            "organization.branding",
            caller.org.as_str(),
            details,
        )
        .await?;
        txn.commit().await?;
        Ok(branding_of(Some(saved)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_brand_colour_is_six_hex_digits_after_a_hash() {
        assert_eq!(
            validate_brand_color(" #7A1F3D ").ok().flatten().as_deref(),
            Some("#7a1f3d")
        );
        assert_eq!(validate_brand_color("").ok(), Some(None));
        for wrong in ["red", "#fff", "7a1f3d", "#7a1f3g", "#7a1f3d00", "url(x)"] {
            assert!(validate_brand_color(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn text_on_the_brand_colour_is_black_or_white_whichever_reads_better() {
        assert_eq!(text_color_on("#ffffff"), "#000000");
        assert_eq!(text_color_on("#ffeb3b"), "#000000");
        assert_eq!(text_color_on("#000000"), "#ffffff");
        assert_eq!(text_color_on("#7a1f3d"), "#ffffff");
        assert_eq!(text_color_on("#1565c0"), "#ffffff");
    }

    #[test]
    fn a_logo_is_a_png_or_jpeg_by_its_bytes_and_small() {
        assert_eq!(
            validate_logo(b"\x89PNG\r\n\x1a\nrest").ok(),
            Some("image/png")
        );
        assert_eq!(
            validate_logo(&[0xFF, 0xD8, 0xFF, 0xE0, 0]).ok(),
            Some("image/jpeg")
        );
        assert!(validate_logo(b"<svg xmlns='http://www.w3.org/2000/svg'/>").is_err());
        assert!(validate_logo(b"").is_err());
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert!(validate_logo(&big).is_err());
    }
}

// ---------------------------------------------------------------------------------------------
// JSON routes.

pub mod api {
    use axum::body::Bytes;
    use axum::Json;
    use utoipa_axum::router::OpenApiRouter;
    use utoipa_axum::routes;

    use super::{Branding, BrandingPatch, BrandingService};
    use crate::error::{ErrorBody, Result};
    use crate::http::{ApiJson, AppState};
    use crate::tenancy::model::{Caller, Permission};

    pub fn router() -> OpenApiRouter<AppState> {
        OpenApiRouter::new()
            .routes(routes!(get_branding, update_branding))
            .routes(routes!(upload_logo, delete_logo))
    }

    /// The branding with the logo's public address (the shop's, under the organization's slug).
    async fn with_url(
        state: &AppState,
        caller: &Caller,
        mut branding: Branding,
    ) -> Result<Json<Branding>> {
        if let Some(version) = branding.logo_version() {
            let slug = state.tenancy().organization(&caller.org).await?.slug;
            branding.logo_url = Some(format!("/shop/{slug}/logo?v={version}"));
        }
        Ok(Json(branding))
    }

    /// The organization's brand colour and logo, as its shop shows them.
    #[utoipa::path(get, path = "/settings/branding", tag = "organization",
        responses((status = 200, body = Branding), (status = 401, body = ErrorBody)))]
    async fn get_branding(
        state: axum::extract::State<AppState>,
        caller: Caller,
    ) -> Result<Json<Branding>> {
        let branding = BrandingService::new(state.db.clone())
            .branding(&caller.org)
            .await?;
        with_url(&state, &caller, branding).await
    }

    /// Set the brand colour (`#rrggbb`; empty or null: the default colour).
    #[utoipa::path(put, path = "/settings/branding", tag = "organization", request_body = BrandingPatch,
        responses((status = 200, body = Branding), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
    async fn update_branding(
        state: axum::extract::State<AppState>,
        caller: Caller,
        ApiJson(patch): ApiJson<BrandingPatch>,
    ) -> Result<Json<Branding>> {
        caller.require(Permission::Administer)?;
        let branding = BrandingService::new(state.db.clone())
            .set_brand_color(&caller, patch)
            .await?;
        with_url(&state, &caller, branding).await
    }

    /// Upload the logo: the request body is the PNG or JPEG file itself (at most 256 KB; SVG is
    /// refused).
    #[utoipa::path(put, path = "/settings/branding/logo", tag = "organization",
        request_body(content = Vec<u8>, content_type = "image/png"),
        responses((status = 200, body = Branding), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
    async fn upload_logo(
        state: axum::extract::State<AppState>,
        caller: Caller,
        body: Bytes,
    ) -> Result<Json<Branding>> {
        caller.require(Permission::Administer)?;
        let branding = BrandingService::new(state.db.clone())
            .set_logo(&caller, body.to_vec())
            .await?;
        with_url(&state, &caller, branding).await
    }

    /// Remove the logo.
    #[utoipa::path(delete, path = "/settings/branding/logo", tag = "organization",
        responses((status = 200, body = Branding), (status = 403, body = ErrorBody)))]
    async fn delete_logo(
        state: axum::extract::State<AppState>,
        caller: Caller,
    ) -> Result<Json<Branding>> {
        caller.require(Permission::Administer)?;
        let branding = BrandingService::new(state.db.clone())
            .remove_logo(&caller)
            .await?;
        with_url(&state, &caller, branding).await
    }
}
