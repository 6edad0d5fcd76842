# Buyer sign-in by email link, and My tickets, English.

buyers-sign-in-title = Sign in
buyers-sign-in-intro = Type your email address and we will mail you a link that signs you in. No password needed.
buyers-send-link = Email me a sign-in link
buyers-link-sent = If this address can receive mail, a sign-in link is on its way. It works once, for { $minutes } minutes.
buyers-too-many = Too many sign-in links were asked for just now. Wait a while, then try again.
buyers-email-invalid = This does not look like an email address. Check it and try again.
buyers-return-refused = This sign-in link came from outside this shop, so we will not follow it. Start again from the shop.
buyers-link-confirm = Press the button to sign in to this shop on this device.
buyers-sign-in = Sign in
buyers-link-spent = This sign-in link no longer works: it was already used or is more than 15 minutes old.
buyers-ask-new-link = Ask for a new link
buyers-back-to-shop = Back to the shop
buyers-my-tickets = My tickets
buyers-signed-in-as = Signed in as { $email }
buyers-sign-out = Sign out
buyers-your-orders = Your orders
buyers-no-orders = You have no orders here yet.
buyers-ordered-at = Ordered { $time }
buyers-see-order = See the order and tickets
buyers-ticket = Ticket
buyers-member-benefits = Your member prices
buyers-no-benefits = No member prices apply to upcoming events right now.
buyers-member-price = Member price — { $label }
buyers-sign-in-for-prices = Sign in for member prices
