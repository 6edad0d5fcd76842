//! The intents' background work run as jobs: the import (see the import task).

use fullhouse_core::module::Mount;

use crate::Intents;

/// Registers the intents' job kinds.
pub fn register(_mount: &mut Mount, _intents: &Intents) {}
