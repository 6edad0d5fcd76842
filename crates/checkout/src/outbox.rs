//! The facts of a sale in the domain-event outbox ([`fullhouse_core::events`]). Orders placed,
//! paid and released are ticketing's facts (`fullhouse_ticketing::outbox`): ticketing keeps the
//! order's state, and checkout moves it inside its own transactions. `order.paid` was checkout's
//! own event before the order states moved into ticketing; it is re-exported here so that
//! followers written against checkout keep compiling, and stored events keep their kind.

pub use fullhouse_ticketing::outbox::OrderPaid;
