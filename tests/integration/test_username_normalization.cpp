// Integration tests of username normalisation (issue 10, finding 8): usernames are stored
// NFKC-normalised, as Django's normalize_username does, so look-alikes collide; invisible
// and format characters are refused with a username field error.
#include <string>

#include "tests/integration/auth_v1_support.hpp"

namespace authd::test::v1 {
namespace {

class UsernameNormalization : public AuthV1Fixture {};

TEST_F(UsernameNormalization, FullwidthNameIsStoredAsAscii) {
    ASSERT_TRUE(start());
    User john = active_user("ｊｏｈｎ", "john@example.com");  // U+FF4A U+FF4F U+FF48 U+FF4E
    ASSERT_GT(john.id, 0);
    EXPECT_EQ(login("john", kPassword).status, 200) << "stored as john";
    EXPECT_EQ(login("ｊｏｈｎ", kPassword).status, 200) << "the look-alike logs in as john";
    auto t = tokens("john", kPassword);
    ASSERT_TRUE(t);
    EXPECT_EQ(json_string(validate(t->access).body, "username"), "john");
    HttpResponse again = signup("john", "john2@example.com");
    EXPECT_EQ(again.status, 400) << again.body;
    EXPECT_TRUE(has_field_error(again, "username", "A user with that username already exists."))
        << again.body;
    HttpResponse ligature = signup("ﬁsh", "fish@example.com");  // U+FB01: NFKC "fish"
    ASSERT_EQ(ligature.status, 201) << ligature.body;
    EXPECT_EQ(json_string(ligature.body, "username"), "fish");
}

TEST_F(UsernameNormalization, InvisibleAndFormatCharactersAreRefused) {
    ASSERT_TRUE(start());
    const char* names[] = {
        "ali\u200Bce",   // ZERO WIDTH SPACE (Cf)
        "bob\u200D",     // ZERO WIDTH JOINER (Cf)
        "\u202Eevil",    // RIGHT-TO-LEFT OVERRIDE (Cf)
        "hang\u3164",    // HANGUL FILLER (Lo, renders blank)
        "half\uFFA0",    // HALFWIDTH HANGUL FILLER
        "x\u2028y",      // LINE SEPARATOR (Zl)
        "x\u2029y",      // PARAGRAPH SEPARATOR (Zp)
        "p\uE000",       // private use (Co)
        "n\u0378",       // unassigned (Cn)
        "soft\u00ADhy",  // SOFT HYPHEN (Cf)
    };
    int i = 0;
    for (const char* name : names) {
        HttpResponse r = signup(name, "inv" + std::to_string(i++) + "@example.com");
        EXPECT_EQ(r.status, 400) << name << " → " << r.body;
        EXPECT_TRUE(json_has(r.body, "username")) << r.body;
    }
    EXPECT_EQ(signup("plain.name+ok", "ok@example.com").status, 201);
    EXPECT_EQ(signup("émile", "emile@example.com").status, 201) << "letters stay allowed";
}

}  // namespace
}  // namespace authd::test::v1
