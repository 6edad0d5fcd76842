# Mail: the template sandbox and the SMTP connection test.
error-template-too-expensive = Skabelonen kræver mere end 512 MB hukommelse eller 2 s for at blive dannet; gør den enklere.
error-smtp-unreachable = Kunne ikke tale SMTP med { $address }.
