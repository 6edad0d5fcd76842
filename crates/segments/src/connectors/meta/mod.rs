//! Meta custom audiences: a customer normalized and hashed as Meta's customer file asks
//! ([`normalize`]), and the Marketing API client that adds, removes and replaces an audience's
//! people ([`client`]).

pub mod calling_codes;
pub mod client;
pub mod normalize;

#[cfg(test)]
mod tests;
