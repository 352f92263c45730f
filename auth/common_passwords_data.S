/* The common-password list (auth/data/common-passwords.txt.gz, see auth/data/README.md),
   embedded as read-only bytes; auth/common_passwords.cpp inflates it once. */
    .section .rodata
    .global authd_common_passwords_gz
    .type authd_common_passwords_gz, @object
    .balign 16
authd_common_passwords_gz:
    .incbin "common-passwords.txt.gz"
    .global authd_common_passwords_gz_end
    .type authd_common_passwords_gz_end, @object
authd_common_passwords_gz_end:
    .size authd_common_passwords_gz, authd_common_passwords_gz_end - authd_common_passwords_gz

    /* No executable stack for the objects that link this. */
    .section .note.GNU-stack,"",@progbits
