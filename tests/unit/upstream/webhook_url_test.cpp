#include <gtest/gtest.h>

#include "upstream/webhook_url.hpp"

namespace hubcast::upstream {
namespace {

TEST(UrlTemplate, ExpandsPlaceholdersInAnyCaseAndEncodesTheValues) {
    EXPECT_EQ(expand_url_template("http://h/api/{hub}/{event}?code=1", "chat", "connect"),
              "http://h/api/chat/connect?code=1");
    EXPECT_EQ(expand_url_template("http://h/{HUB}/{Event}/{hub}", "a`[b]", "x.y"),
              "http://h/a%60%5Bb%5D/x.y/a%60%5Bb%5D");
    EXPECT_EQ(expand_url_template("http://h/api/webpubsub/hubs/{hub}/", "chat", "message"),
              "http://h/api/webpubsub/hubs/chat/");
}

TEST(UrlTemplate, AcceptsTheFormsAzureDocuments) {
    for (const char* ok :
         {"http://127.0.0.1:3000/api/webpubsub/hubs/{hub}/", "http://app/api/{event}?code=secret",
          "http://[::1]:8080/{hub}/{event}", "HTTP://App.Example/x"}) {
        EXPECT_TRUE(check_url_template(ok)) << ok;
    }
}

TEST(UrlTemplate, RefusesWhatCannotBeCalledWithAReason) {
    const std::pair<const char*, const char*> cases[] = {
        {"http://{hub}.example/x", "host"},
        {"http://app:{event}/x", "host"},
        {"http://app/{other}", "placeholders"},
        {"http://app/{@Microsoft.KeyVault(SecretUri=x)}", "placeholders"},
        {"https://app/x", "only http://"},
        {"tunnel:///x", "only http://"},
        {"/relative/{event}", "absolute"},
        {"http://user:pw@app/x", "user information"},
        {"http://app:0/x", "port"},
    };
    for (const auto& [url, why] : cases) {
        auto checked = check_url_template(url);
        ASSERT_FALSE(checked) << url;
        EXPECT_NE(checked.error().find(why), std::string::npos) << url << " → " << checked.error();
    }
}

TEST(WebhookUrl, SplitsHostPortAndTarget) {
    auto url = parse_webhook_url("http://127.0.0.1:3000/api/webpubsub/hubs/chat/?code=a%20b");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->host, "127.0.0.1");
    EXPECT_EQ(url->port, 3000);
    EXPECT_EQ(url->target, "/api/webpubsub/hubs/chat/?code=a%20b");
    EXPECT_EQ(url->authority(), "127.0.0.1:3000");
    auto bare = parse_webhook_url("http://app.example");
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->port, 80);
    EXPECT_EQ(bare->target, "/");
    auto v6 = parse_webhook_url("http://[::1]:81/x");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
}

} // namespace
} // namespace hubcast::upstream
