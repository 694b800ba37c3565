-- Sign-in emails compare byte for byte. Under utf8mb4_unicode_ci the lookup ignored NUL, BEL,
-- zero-width and bidi characters, accents and fullwidth forms, so many spellings reached one
-- account while the sign-in rate limit counted each spelling apart. Emails are stored canonical
-- (trimmed, NFKC, lower case, validated as an address) by the dashboard; this makes the column
-- agree that two different strings are two different emails.
ALTER TABLE app_user MODIFY email VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
