"""Civil-servant accounts: agencies, users, roles and sign-in."""
