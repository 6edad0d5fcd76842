# Mail: the template sandbox and the SMTP connection test.
error-template-too-expensive = The template needs more than 512 MB of memory or 2 s to render; simplify it.
error-smtp-unreachable = Could not talk SMTP to { $address }.
