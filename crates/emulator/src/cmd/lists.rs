//! Lists (and SORT / SORT_RO, which read lists, sets and sorted sets): the command table entries and their handlers.

use crate::table::CommandSpec;

pub const COMMANDS: &[CommandSpec] = &[];
