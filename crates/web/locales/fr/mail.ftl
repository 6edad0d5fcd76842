# Mail: the template sandbox and the SMTP connection test.
error-template-too-expensive = Le modèle demande plus de 512 Mo de mémoire ou 2 s de rendu ; simplifiez-le.
error-smtp-unreachable = Impossible de dialoguer en SMTP avec { $address }.
