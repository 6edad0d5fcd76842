# The tracking link's own page: a code that leads nowhere.
referral-link-not-found-title = Link not found
referral-link-not-found = This link does not lead anywhere: it may have been mistyped or cut short. Ask the person who shared it to send it again.
