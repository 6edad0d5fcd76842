//! How much of each member's quantity is taken, for the members list ("used / remaining").
//!
//! A code's uses are counted per campaign, and per event or across events as the campaign says
//! (`campaign_code_uses`, one counter each). As the campaign report does, a member's uses are
//! those of its most used counter: what is left there is what the code can still give where it
//! is scarcest.

use std::collections::HashMap;

use fullhouse_core::ids::OrgId;
use fullhouse_core::{Db, Result};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::campaigns::store::campaign_code_uses as uses;
use crate::Member;

/// Uses taken and left of some members.
#[derive(Debug, Clone, Default)]
pub struct MemberUses {
    taken: HashMap<String, i64>,
}

impl MemberUses {
    /// The uses of `members` (a page of them).
    pub async fn of(db: &Db, org: &OrgId, members: &[Member]) -> Result<MemberUses> {
        if members.is_empty() {
            return Ok(MemberUses::default());
        }
        let counters = uses::Entity::find()
            .filter(uses::Column::OrganizationId.eq(org.as_str()))
            .filter(uses::Column::MemberId.is_in(members.iter().map(|m| m.id.as_str())))
            .all(db.reader())
            .await?;
        let mut taken: HashMap<String, i64> = HashMap::new();
        for counter in counters {
            let most = taken.entry(counter.member_id).or_default();
            *most = (*most).max(counter.used);
        }
        Ok(MemberUses { taken })
    }

    /// Uses taken of `member`'s quantity.
    pub fn used(&self, member: &Member) -> i64 {
        self.taken.get(member.id.as_str()).copied().unwrap_or(0)
    }

    /// Uses `member`'s code can still give.
    pub fn remaining(&self, member: &Member) -> i64 {
        (member.quantity - self.used(member)).max(0)
    }
}
