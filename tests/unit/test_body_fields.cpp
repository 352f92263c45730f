// Request bodies as DRF sees them (parse_body, urlencoded decoding) and the DRF serializer
// rules of FieldReader/FieldErrors: required, blank, not-a-string, max_length, trimming, booleans.
#include <gtest/gtest.h>

#include <string>

#include "http/body_fields.hpp"
#include "http/field_errors.hpp"
#include "http/request_parser.hpp"

namespace authd::http {
namespace {

// A parsed POST with the given Content-Type (omitted when null) and body.
struct Posted {
    Request req;
    explicit Posted(const char* content_type, std::string_view body) {
        std::string bytes = "POST /x HTTP/1.1\r\nHost: h\r\n";
        if (content_type) bytes += std::string("Content-Type: ") + content_type + "\r\n";
        bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
        bytes += body;
        RequestParser p;
        p.set_request(&req);
        ParseResult r = p.feed(bytes);
        EXPECT_EQ(r.event, ParseEvent::request_ready);
    }
};

std::optional<Response> parse(const char* type, std::string_view body, BodyFields& out) {
    Posted p(type, body);
    return parse_body(p.req, out);
}

TEST(BodyFields, JsonObjectFieldsAndKinds) {
    BodyFields f;
    auto err = parse("application/json",
                     R"({"username":"alice","age":30,"admin":false,"nothing":null,"list":[1,2],)"
                     R"("obj":{"a":1},"ratio":1.5,"neg":-7,"esc":"a\"b\\c\u00e9\n\ud83d\ude00"})",
                     f);
    ASSERT_FALSE(err) << err->body;
    EXPECT_FALSE(f.from_form);
    ASSERT_EQ(f.fields.size(), 9u);
    EXPECT_EQ(f.fields[0].name, "username");  // body order kept
    auto check = [&](const char* name, FieldKind kind, const char* value) {
        const Field* x = f.find(name);
        ASSERT_NE(x, nullptr) << name;
        EXPECT_EQ(x->kind, kind) << name;
        EXPECT_EQ(x->value, value) << name;
    };
    check("username", FieldKind::string, "alice");
    check("age", FieldKind::number, "30");
    check("admin", FieldKind::boolean, "false");
    check("nothing", FieldKind::null, "");
    check("list", FieldKind::array, "");
    check("obj", FieldKind::object, "");
    check("ratio", FieldKind::number, "1.5");
    check("neg", FieldKind::number, "-7");
    check("esc", FieldKind::string, "a\"b\\c\xC3\xA9\n\xF0\x9F\x98\x80");
    EXPECT_EQ(f.find("absent"), nullptr);
    EXPECT_EQ(f.find("USERNAME"), nullptr);  // names are case-sensitive
}

TEST(BodyFields, JsonContentTypeParametersAndCase) {
    for (const char* t : {"application/json; charset=utf-8", "Application/JSON",
                          " application/json ;charset=UTF-8"}) {
        BodyFields f;
        auto err = parse(t, R"({"a":"b"})", f);
        ASSERT_FALSE(err) << t;
        ASSERT_NE(f.find("a"), nullptr) << t;
    }
}

TEST(BodyFields, JsonDuplicateKeysLastWins) {
    BodyFields f;
    ASSERT_FALSE(parse("application/json", R"({"a":1,"b":"x","a":"two"})", f));
    ASSERT_EQ(f.fields.size(), 2u);
    const Field* a = f.find("a");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->kind, FieldKind::string);
    EXPECT_EQ(a->value, "two");
}

std::string detail_of(const Response& r) {
    // {"detail":"..."}: good enough for our own, known-shaped bodies.
    const std::string prefix = "{\"detail\":\"";
    if (r.body.rfind(prefix, 0) != 0 || r.body.size() < prefix.size() + 2)
        return "<not a detail body: " + r.body + ">";
    return r.body.substr(prefix.size(), r.body.size() - prefix.size() - 2);
}

TEST(BodyFields, NonObjectJsonIs400ParseError) {
    for (const char* body : {"[1,2]", "\"just a string\"", "42", "null", "true", "[]"}) {
        BodyFields f;
        auto err = parse("application/json", body, f);
        ASSERT_TRUE(err) << body;
        EXPECT_EQ(err->status, 400) << body;
        EXPECT_EQ(detail_of(*err).rfind("JSON parse error - ", 0), 0u) << err->body;
        EXPECT_TRUE(f.fields.empty());
    }
}

TEST(BodyFields, MalformedJsonIs400ParseError) {
    const char* bodies[] = {
        "{",
        "{\"a\":}",
        "{\"a\":1,}",
        "{\"a\":1} trailing",
        "{'a':1}",
        "{\"a\":\"unterminated}",
        "   ",
        "{\"a\":01}",
        "{\"a\":\"\xff\"}" /* invalid UTF-8 */,
        "{\"a\":\"\\x41\"}",
        "{\"a\" 1}",
        "{\"a\":\"tab\tinside\"}",
    };
    for (const char* body : bodies) {
        BodyFields f;
        auto err = parse("application/json", body, f);
        ASSERT_TRUE(err) << body;
        EXPECT_EQ(err->status, 400) << body;
        std::string d = detail_of(*err);
        EXPECT_EQ(d.rfind("JSON parse error - ", 0), 0u) << err->body;
        EXPECT_GT(d.size(), std::string("JSON parse error - ").size()) << "a reason follows";
    }
}

TEST(BodyFields, UnsupportedMediaTypeIs415WithDrfMessage) {
    struct Case {
        const char* type;
        std::string body;
    } cases[] = {
        {"text/plain", R"({"detail":"Unsupported media type \"text/plain\" in request."})"},
        {"text/plain; charset=utf-8",
         R"({"detail":"Unsupported media type \"text/plain; charset=utf-8\" in request."})"},
        {"multipart/form-data; boundary=x",
         R"({"detail":"Unsupported media type \"multipart/form-data; boundary=x\" in request."})"},
        {"application/jsonp",
         R"({"detail":"Unsupported media type \"application/jsonp\" in request."})"},
        {nullptr, R"({"detail":"Unsupported media type \"\" in request."})"},
    };
    for (const auto& c : cases) {
        BodyFields f;
        auto err = parse(c.type, R"({"a":"b"})", f);
        ASSERT_TRUE(err) << (c.type ? c.type : "(none)");
        EXPECT_EQ(err->status, 415);
        EXPECT_EQ(err->body, c.body);
        EXPECT_TRUE(f.fields.empty());
    }
}

TEST(BodyFields, EmptyBodyHasNoFieldsWhateverTheType) {
    for (const char* t : {"application/json", "application/x-www-form-urlencoded", "text/plain",
                          (const char*)nullptr}) {
        BodyFields f;
        f.fields.push_back({"stale", FieldKind::string, "x"});  // cleared by parse_body
        f.from_form = true;
        EXPECT_FALSE(parse(t, "", f)) << (t ? t : "(none)");
        EXPECT_TRUE(f.fields.empty());
        // An empty form post is still a form post (the HTML reset form answers in HTML).
        EXPECT_EQ(f.from_form, t && std::string_view(t) == "application/x-www-form-urlencoded");
    }
}

TEST(BodyFields, FormUrlencoded) {
    BodyFields f;
    auto err = parse("application/x-www-form-urlencoded",
                     "username=John+Doe&email=a%40b.com&note=100%25+sure&empty=&flag&first%5Fname="
                     "J%C3%A9r%C3%B4me"
                     "&plus=%2B1&stray=50%&bad=%zz%4&&amp=a%26b%3Dc",
                     f);
    ASSERT_FALSE(err) << err->body;
    EXPECT_TRUE(f.from_form);
    auto value = [&](const char* n) {
        const Field* x = f.find(n);
        EXPECT_NE(x, nullptr) << n;
        if (x) {
            EXPECT_EQ(x->kind, FieldKind::string) << n;
        }
        return x ? x->value : std::string("<missing>");
    };
    EXPECT_EQ(value("username"), "John Doe");
    EXPECT_EQ(value("email"), "a@b.com");
    EXPECT_EQ(value("note"), "100% sure");
    EXPECT_EQ(value("empty"), "");
    EXPECT_EQ(value("flag"), "");
    EXPECT_EQ(value("first_name"), "J\xC3\xA9r\xC3\xB4me");
    EXPECT_EQ(value("plus"), "+1");
    EXPECT_EQ(value("stray"), "50%");
    EXPECT_EQ(value("bad"), "%zz%4");
    EXPECT_EQ(value("amp"), "a&b=c");
    EXPECT_EQ(f.fields.size(), 10u);
}

TEST(BodyFields, FormDuplicateKeysLastWins) {
    BodyFields f;
    ASSERT_FALSE(parse("application/x-www-form-urlencoded; charset=UTF-8", "a=1&b=2&a=3", f));
    ASSERT_EQ(f.fields.size(), 2u);
    EXPECT_EQ(f.find("a")->value, "3");
    EXPECT_EQ(f.fields[0].name, "a");
}

TEST(BodyFields, FormWithInvalidUtf8Is400) {
    BodyFields f;
    auto err = parse("application/x-www-form-urlencoded", "name=%FF%FE", f);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 400);
}

TEST(PercentDecode, PlusHandling) {
    EXPECT_EQ(percent_decode("a+b%20c", true), "a b c");
    EXPECT_EQ(percent_decode("a+b%20c", false), "a+b c");
    EXPECT_EQ(percent_decode("%41%4a%4A", false), "AJJ");
    EXPECT_EQ(percent_decode("%", false), "%");
    EXPECT_EQ(percent_decode("%4", false), "%4");
    EXPECT_EQ(percent_decode("%00", false), std::string("\0", 1));
    EXPECT_EQ(percent_decode("", true), "");
}

TEST(ParseUrlencoded, QueryStrings) {
    std::vector<Field> out;
    ASSERT_TRUE(parse_urlencoded("role=AGENT&is_active=true&search=bob+smith&limit=10", out));
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[2].name, "search");
    EXPECT_EQ(out[2].value, "bob smith");
    std::vector<Field> empty;
    ASSERT_TRUE(parse_urlencoded("", empty));
    ASSERT_TRUE(parse_urlencoded("&&&", empty));
    EXPECT_TRUE(empty.empty());
}

// --- FieldReader / FieldErrors: DRF serializer semantics ---

BodyFields json_fields(std::string_view json) {
    BodyFields f;
    Posted p("application/json", json);
    auto err = parse_body(p.req, f);
    EXPECT_FALSE(err) << (err ? err->body : "");
    return f;
}

TEST(FieldReader, RequiredAndOptional) {
    BodyFields f = json_fields(R"({"present":"x"})");
    FieldErrors e;
    FieldReader r(f, e);
    EXPECT_EQ(r.string("present"), "x");
    EXPECT_EQ(r.string("missing"), std::nullopt);
    EXPECT_EQ(r.string("optional", {.required = false}), std::nullopt);
    EXPECT_TRUE(r.present("present"));
    EXPECT_FALSE(r.present("optional"));
    EXPECT_TRUE(e.has("missing"));
    EXPECT_FALSE(e.has("optional"));
    EXPECT_EQ(e.to_response().body, R"({"missing":["This field is required."]})");
}

TEST(FieldReader, BlankRules) {
    BodyFields f = json_fields(
        R"({"empty":"","spaces":"  \t\n ","ok_blank":"","pw":"  ","padded":"  alice  "})");
    FieldErrors e;
    FieldReader r(f, e);
    EXPECT_EQ(r.string("empty"), std::nullopt);
    EXPECT_EQ(r.string("spaces"), std::nullopt);  // trimmed to nothing → blank
    EXPECT_EQ(r.string("ok_blank", {.required = false, .allow_blank = true}), "");
    EXPECT_EQ(r.string("pw", {.trim = false}), "  ");  // passwords are not trimmed
    EXPECT_EQ(r.string("padded"), "alice");
    EXPECT_EQ(r.string("padded", {.trim = false}), "  alice  ");
    EXPECT_EQ(
        e.to_response().body,
        R"({"empty":["This field may not be blank."],"spaces":["This field may not be blank."]})");
}

TEST(FieldReader, NotAStringForEveryOtherJsonType) {
    BodyFields f = json_fields(R"({"n":5,"b":true,"z":null,"a":["x"],"o":{"k":"v"},"d":1.25})");
    FieldErrors e;
    FieldReader r(f, e);
    for (const char* name : {"n", "b", "z", "a", "o", "d"}) {
        EXPECT_EQ(r.string(name), std::nullopt) << name;
    }
    EXPECT_EQ(e.entries().size(), 6u);
    for (const auto& [name, messages] : e.entries()) {
        ASSERT_EQ(messages.size(), 1u) << name;
        EXPECT_EQ(messages[0], "Not a valid string.") << name;
    }
}

TEST(FieldReader, MaxLengthCountsCharactersAfterTrimming) {
    std::string exact(150, 'a');
    std::string over(151, 'a');
    std::string accents;
    for (int i = 0; i < 150; ++i) accents += "\xC3\xA9";  // 150 characters, 300 bytes
    BodyFields f =
        json_fields("{\"exact\":\"" + exact + "\",\"over\":\"" + over + "\",\"accents\":\"" +
                    accents + "\",\"padded\":\"  " + exact + "  \"}");
    FieldErrors e;
    FieldReader r(f, e);
    StringRule rule{.max_length = 150};
    EXPECT_EQ(r.string("exact", rule), exact);
    EXPECT_EQ(r.string("over", rule), std::nullopt);
    EXPECT_EQ(r.string("accents", rule), accents);
    EXPECT_EQ(r.string("padded", rule), exact);
    EXPECT_EQ(e.to_response().body,
              R"({"over":["Ensure this field has no more than 150 characters."]})");
}

TEST(FieldReader, FormFieldsAreStrings) {
    BodyFields f;
    Posted p("application/x-www-form-urlencoded", "new_password=s3cret+pass&confirm_password=");
    ASSERT_FALSE(parse_body(p.req, f));
    FieldErrors e;
    FieldReader r(f, e);
    EXPECT_EQ(r.string("new_password", {.trim = false}), "s3cret pass");
    EXPECT_EQ(r.string("confirm_password", {.trim = false}), std::nullopt);
    EXPECT_EQ(e.to_response().body, R"({"confirm_password":["This field may not be blank."]})");
}

TEST(FieldErrors, CollectsInFirstErrorOrderAndGroupsByField) {
    FieldErrors e;
    EXPECT_TRUE(e.empty());
    e.add("password", "This password is too short. It must contain at least 8 characters.");
    e.add("email", "Enter a valid email address.");
    e.add("password", "This password is entirely numeric.");
    e.add_all("non_field_errors", {"a", "b \"quoted\""});
    EXPECT_FALSE(e.empty());
    EXPECT_TRUE(e.has("email"));
    EXPECT_FALSE(e.has("username"));
    Response r = e.to_response();
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(
        r.body,
        R"({"password":["This password is too short. It must contain at least 8 characters.",)"
        R"("This password is entirely numeric."],"email":["Enter a valid email address."],)"
        R"("non_field_errors":["a","b \"quoted\""]})");
    EXPECT_EQ(e.to_response(409).status, 409);
    EXPECT_EQ(FieldErrors().to_response().body, "{}");
}

TEST(FieldReader, BooleansLikeDrf) {
    struct Case {
        const char* json;
        std::optional<bool> value;
    } cases[] = {
        {"true", true},
        {"false", false},
        {"1", true},
        {"0", false},
        {"1.0", true},
        {"0.0", false},
        {"\"true\"", true},
        {"\"false\"", false},
        {"\"True\"", true},
        {"\"FALSE\"", false},
        {"\"1\"", true},
        {"\"0\"", false},
        {"\"yes\"", true},
        {"\"no\"", false},
        {"\"YES\"", true},
        {"\"NO\"", false},
        {"\"on\"", true},
        {"\"off\"", false},
        {"\"ON\"", true},
        {"\"OFF\"", false},
        {"\"t\"", true},
        {"\"f\"", false},
        {"\"y\"", true},
        {"\"n\"", false},
        {"\"2\"", std::nullopt},
        {"2", std::nullopt},
        {"\"\"", std::nullopt},
        {"\"maybe\"", std::nullopt},
        {"\" true\"", std::nullopt},
        {"[true]", std::nullopt},
        {"{}", std::nullopt},
        {"\"1.0\"", std::nullopt},
        {"1e0", true},
        {"-0", false},
        {"0.5", std::nullopt},
        {"-1", std::nullopt},
    };
    for (const auto& c : cases) {
        BodyFields f = json_fields(std::string("{\"is_active\":") + c.json + "}");
        FieldErrors e;
        FieldReader r(f, e);
        EXPECT_EQ(r.boolean("is_active"), c.value) << c.json;
        if (c.value) {
            EXPECT_TRUE(e.empty()) << c.json;
        } else {
            EXPECT_EQ(e.to_response().body, R"({"is_active":["Must be a valid boolean."]})")
                << c.json;
        }
    }
}

TEST(FieldReader, BooleanNullMissingAndForm) {
    BodyFields f = json_fields(R"({"z":null})");
    FieldErrors e;
    FieldReader r(f, e);
    EXPECT_EQ(r.boolean("z"), std::nullopt);
    EXPECT_EQ(r.boolean("absent"), std::nullopt);  // optional by default: no error
    EXPECT_EQ(r.boolean("needed", true), std::nullopt);
    EXPECT_EQ(e.to_response().body,
              R"({"z":["This field may not be null."],"needed":["This field is required."]})");

    BodyFields form;
    Posted p("application/x-www-form-urlencoded", "is_active=false&other=on");
    ASSERT_FALSE(parse_body(p.req, form));
    FieldErrors e2;
    FieldReader r2(form, e2);
    EXPECT_EQ(r2.boolean("is_active"), false);
    EXPECT_EQ(r2.boolean("other"), true);
    EXPECT_TRUE(e2.empty());
}

}  // namespace
}  // namespace authd::http
