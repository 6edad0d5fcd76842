# Log ind med et link på mail, og Mine billetter, dansk.

buyers-sign-in-title = Log ind
buyers-sign-in-intro = Skriv din e-mailadresse, så sender vi dig et link, der logger dig ind. Du skal ikke bruge en adgangskode.
buyers-send-link = Send mig et link til at logge ind
buyers-link-sent = Hvis adressen kan modtage mail, er et link til at logge ind på vej. Det virker én gang i { $minutes } minutter.
buyers-too-many = Der er bedt om for mange links lige nu. Vent lidt, og prøv så igen.
buyers-email-invalid = Det ligner ikke en e-mailadresse. Tjek den, og prøv igen.
buyers-return-refused = Dette link kom udefra, så vi følger det ikke. Start forfra fra butikken.
buyers-link-confirm = Tryk på knappen for at logge ind i denne butik på denne enhed.
buyers-sign-in = Log ind
buyers-link-spent = Dette link virker ikke længere: det er allerede brugt eller mere end 15 minutter gammelt.
buyers-ask-new-link = Bed om et nyt link
buyers-back-to-shop = Tilbage til butikken
buyers-my-tickets = Mine billetter
buyers-signed-in-as = Logget ind som { $email }
buyers-sign-out = Log ud
buyers-your-orders = Dine ordrer
buyers-no-orders = Du har ingen ordrer her endnu.
buyers-ordered-at = Bestilt { $time }
buyers-see-order = Se ordren og billetterne
buyers-ticket = Billet
buyers-member-benefits = Dine medlemspriser
buyers-no-benefits = Ingen medlemspriser gælder for kommende forestillinger lige nu.
buyers-member-price = Medlemspris — { $label }
buyers-sign-in-for-prices = Log ind for medlemspriser
