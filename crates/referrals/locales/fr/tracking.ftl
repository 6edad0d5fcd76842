# La page du lien de parrainage : un code qui ne mène nulle part.
referral-link-not-found-title = Lien introuvable
referral-link-not-found = Ce lien ne mène nulle part : il a peut-être été mal recopié ou tronqué. Demandez à la personne qui l’a partagé de vous le renvoyer.
