// fuzz-extra-sources: src/auth/*.cpp
//
// libFuzzer target for token verification (src/auth/jwt*, client_token*, request_token*): the
// client access token of the upgrade and the bearer token of a REST call, both read before
// anything else from unauthenticated peers.
//
// Byte 0 picks the mode:
// - raw: the rest is a token as a peer sends it. Verification must not crash, and a token not
//   signed with a configured key is never accepted.
// - signed: a header text, a claims text and a key choice, signed here with an HMAC of our own
//   (OpenSSL one-shot, independent of jwt.cpp), so that the claim checks behind the signature are
//   reached. The verdict of verify_hs256 must be what the JWS rules say (HS256 pinned, no `crit`,
//   a configured key, JSON objects); the lifetime and audience checks must hold their documented
//   promises; the same token with one signature character changed, or checked against other keys,
//   is refused.
// - minted: a client token minted for a hub, host and user taken from the input must verify for
//   that hub and host and give back that identity; a REST audience naming the request's own URL
//   must match it unless the URL holds a malformed escape or a fragment.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <fuzzer/FuzzedDataProvider.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/client_token.hpp"
#include "auth/jwt.hpp"
#include "auth/public_endpoint.hpp"
#include "auth/request_token.hpp"
#include "fuzz_check.hpp"
#include "protocol/names.hpp"
#include "protocol/utf8.hpp"
#include "util/query_string.hpp"

namespace {

using namespace hubcast;

// Obviously fake test keys; the empty key is legal HMAC input and must work like any other.
const auth::access_keys configured{{"fuzz-test-key-one", "fuzz-test-key-two", ""}};
const auth::access_keys other{{"fuzz-test-key-other"}};
const std::string_view signing_keys[] = {"fuzz-test-key-one", "fuzz-test-key-two", "", "fuzz-test-key-other"};

std::string base64url(std::string_view bytes) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (const char c : bytes) {
        bits = (bits << 8) | static_cast<unsigned char>(c);
        count += 8;
        while (count >= 6) {
            count -= 6;
            out.push_back(alphabet[(bits >> count) & 0x3f]);
        }
    }
    if (count > 0) {
        out.push_back(alphabet[(bits << (6 - count)) & 0x3f]);
    }
    return out;
}

std::string sign(std::string_view header, std::string_view claims, std::string_view key) {
    std::string token = base64url(header) + "." + base64url(claims);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    static const unsigned char empty = 0;
    FUZZ_CHECK(HMAC(EVP_sha256(), key.empty() ? static_cast<const void*>(&empty) : key.data(),
                    static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(token.data()),
                    token.size(), digest, &digest_size) != nullptr);
    token += '.';
    token += base64url(std::string_view(reinterpret_cast<const char*>(digest), digest_size));
    return token;
}

std::optional<boost::json::object> json_object(std::string_view text) {
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec);
    if (ec || !value.is_object()) {
        return std::nullopt;
    }
    return value.as_object();
}

std::optional<double> number(const boost::json::value* value) {
    if (value == nullptr) {
        return std::nullopt;
    }
    if (value->is_int64()) {
        return static_cast<double>(value->get_int64());
    }
    if (value->is_uint64()) {
        return static_cast<double>(value->get_uint64());
    }
    if (value->is_double()) {
        return value->get_double();
    }
    return std::nullopt;
}

struct contexts {
    auth::client_token_context client;
    auth::request_token_context request;
};

/// The routing layer decides which audiences name a request (api::audience_names_call, fuzzed in
/// http_head_fuzz); here the audience's path and query must be the target itself.
std::function<bool(std::string_view)> names_exactly(std::string target) {
    return [target = std::move(target)](std::string_view path_and_query) {
        return path_and_query == target;
    };
}

bool audience_names(const auth::request_token_context& request, std::string_view audience) {
    const auto path_and_query = auth::audience_path_and_query(audience);
    return path_and_query && request.names_this_request(*path_and_query);
}

/// Verifies `token` every way a peer's token is verified and checks what holds whatever the bytes.
void verify_everywhere(std::string_view token, const contexts& ctx) {
    const auto jwt = auth::verify_hs256(token, configured);
    const auto client = auth::verify_client_token(token, configured, ctx.client);
    const auto request = auth::verify_request_token(token, configured, ctx.request);
    if (token.size() > auth::max_token_bytes) {
        FUZZ_CHECK(!jwt && jwt.error() == auth::jwt_error::too_large);
    }
    // Every later check needs the signature: neither kind is accepted where the JWS is not.
    if (!jwt) {
        FUZZ_CHECK(!client && !request);
        FUZZ_CHECK(!auth::describe(jwt.error()).empty());
    }
    if (client) {
        const auto& identity = client.value();
        FUZZ_CHECK(!identity.user_id || !identity.user_id->empty());
        FUZZ_CHECK(identity.claims == jwt.value());
        const auto exp = number(identity.claims.if_contains("exp"));
        FUZZ_CHECK(exp && static_cast<double>(ctx.client.now) <
                              *exp + static_cast<double>(ctx.client.clock_skew.count()));
        FUZZ_CHECK(identity.claims.contains("aud"));
    } else if (token.empty()) {
        FUZZ_CHECK(client.error() == auth::token_error::missing);
    }
    if (request) {
        FUZZ_CHECK(request.value() == jwt.value());
        const auto& aud = request.value().at("aud");
        bool matched = false;
        if (aud.is_string()) {
            matched = audience_names(ctx.request, std::string_view(aud.get_string()));
        } else if (aud.is_array()) {
            for (const auto& element : aud.get_array()) {
                matched = matched || (element.is_string() &&
                                      audience_names(ctx.request, std::string_view(element.get_string())));
            }
        }
        FUZZ_CHECK(matched);
    }
    // A verdict is a function of its inputs.
    const auto again = auth::verify_hs256(token, configured);
    FUZZ_CHECK(again.has_value() == jwt.has_value());
    FUZZ_CHECK(!auth::verify_hs256(token, auth::access_keys{}));
}

void signed_mode(FuzzedDataProvider& input, const contexts& ctx) {
    const std::string header = input.ConsumeBool() ? std::string(R"({"alg":"HS256","typ":"JWT"})")
                                                   : input.ConsumeRandomLengthString(128);
    const std::string_view key = signing_keys[input.ConsumeIntegralInRange<std::size_t>(0, 3)];
    const bool key_configured = key != signing_keys[3];
    const std::string claims = input.ConsumeRemainingBytesAsString();
    const std::string token = sign(header, claims, key);
    verify_everywhere(token, ctx);

    const auto verified = auth::verify_hs256(token, configured);
    const auto header_object = json_object(header);
    const auto claims_object = json_object(claims);
    if (token.size() > auth::max_token_bytes) {
        return; // checked in verify_everywhere
    }
    if (!header_object) {
        FUZZ_CHECK(!verified && verified.error() == auth::jwt_error::malformed);
        return;
    }
    const auto* alg = header_object->if_contains("alg");
    const bool hs256 = alg != nullptr && alg->is_string() && alg->get_string() == "HS256";
    if (!hs256 || header_object->contains("crit")) {
        FUZZ_CHECK(!verified && verified.error() == auth::jwt_error::unsupported_algorithm);
        return;
    }
    if (!key_configured) {
        FUZZ_CHECK(!verified && verified.error() == auth::jwt_error::bad_signature);
        return;
    }
    if (!claims_object) {
        FUZZ_CHECK(!verified && verified.error() == auth::jwt_error::malformed);
        return;
    }
    FUZZ_CHECK(verified && verified.value() == *claims_object);

    // One signature character changed: the first carries the top six bits of the first byte, so
    // any other letter decodes to a different signature.
    std::string tampered = token;
    const auto signature_start = tampered.rfind('.') + 1;
    tampered[signature_start] = tampered[signature_start] == 'A' ? 'B' : 'A';
    const auto refused = auth::verify_hs256(tampered, configured);
    FUZZ_CHECK(!refused && refused.error() == auth::jwt_error::bad_signature);
    const auto stranger = auth::verify_hs256(token, other);
    FUZZ_CHECK(!stranger && stranger.error() == auth::jwt_error::bad_signature);

    // The lifetime rules of verify_signed_lifetime, from the claims alone.
    const auto lifetime =
        auth::verify_signed_lifetime(token, configured, ctx.client.now, ctx.client.clock_skew);
    const double now = static_cast<double>(ctx.client.now);
    const double skew = static_cast<double>(ctx.client.clock_skew.count());
    const auto exp = number(claims_object->if_contains("exp"));
    const auto* nbf_value = claims_object->if_contains("nbf");
    const auto nbf = number(nbf_value);
    if (!exp) {
        FUZZ_CHECK(!lifetime && lifetime.error() == auth::token_error::missing_expiry);
    } else if (now >= *exp + skew) {
        FUZZ_CHECK(!lifetime && lifetime.error() == auth::token_error::expired);
    } else if (nbf_value != nullptr && !nbf) {
        FUZZ_CHECK(!lifetime && lifetime.error() == auth::token_error::bad_claim);
    } else if (nbf && now < *nbf - skew) {
        FUZZ_CHECK(!lifetime && lifetime.error() == auth::token_error::not_yet_valid);
    } else {
        FUZZ_CHECK(lifetime && lifetime.value() == *claims_object);
    }
}

bool is_simple(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_' || c == '.';
    });
}

void minted_mode(FuzzedDataProvider& input, std::int64_t now) {
    auth::client_token_request minted;
    const std::string host = input.ConsumeRandomLengthString(24);
    const std::string port =
        input.ConsumeBool() ? ":" + std::to_string(input.ConsumeIntegral<std::uint16_t>()) : "";
    minted.endpoint = (input.ConsumeBool() ? "https://" : "http://") + host + port;
    minted.hub = input.ConsumeRandomLengthString(24);
    if (input.ConsumeBool()) {
        minted.user_id = input.ConsumeRandomLengthString(32);
    }
    for (int i = input.ConsumeIntegralInRange<int>(0, 3); i > 0; --i) {
        minted.roles.push_back(input.ConsumeRandomLengthString(24));
    }
    for (int i = input.ConsumeIntegralInRange<int>(0, 3); i > 0; --i) {
        minted.groups.push_back(input.ConsumeRandomLengthString(24));
    }
    minted.lifetime = std::chrono::minutes(input.ConsumeIntegralInRange<int>(1, 60 * 24 * 365));
    minted.now = now;
    const std::string token = auth::mint_client_token(minted, configured);
    const std::string target = input.ConsumeRemainingBytesAsString();

    // Verified as a server whose --public-endpoint is the endpoint the token was minted for.
    const std::string authority = auth::explicit_authority_of(minted.endpoint).value_or("");
    const auth::client_token_context client{.hub = minted.hub, .required_authority = authority, .now = now};
    const auto verified = auth::verify_client_token(token, configured, client);
    // Only names a URL can hold unescaped make an audience that means what the fields say.
    if (!host.empty() && is_simple(host) && !minted.hub.empty() && is_simple(minted.hub) &&
        token.size() <= auth::max_token_bytes) {
        // What callers check before minting (REST generateToken, hubcast token): a valid user id,
        // UTF-8 roles and groups. Anything else cannot be written as JSON text.
        // An empty user id is written as `"sub": ""`, which names no user (as .NET writes it).
        const bool no_user = !minted.user_id || minted.user_id->empty();
        const bool mintable = (no_user || protocol::is_valid_user_id(*minted.user_id)) &&
                              std::all_of(minted.roles.begin(), minted.roles.end(),
                                          [](const auto& r) { return protocol::is_valid_utf8(r); }) &&
                              std::all_of(minted.groups.begin(), minted.groups.end(),
                                          [](const auto& g) { return protocol::is_valid_utf8(g); });
        if (verified.has_value() != mintable) {
            std::fprintf(stderr, "minted for %s hub %s: %s\n", minted.endpoint.c_str(), minted.hub.c_str(),
                         verified ? "accepted" : std::string(auth::describe(verified.error())).c_str());
        }
        FUZZ_CHECK(verified.has_value() == mintable);
        if (verified) {
            FUZZ_CHECK(verified.value().user_id == (no_user ? std::nullopt : minted.user_id));
            FUZZ_CHECK(verified.value().roles == minted.roles);
            FUZZ_CHECK(verified.value().groups == minted.groups);
        }
    }
    contexts ctx{client,
                 auth::request_token_context{.names_this_request = names_exactly(target), .now = now}};
    verify_everywhere(token, ctx);

    // A REST audience is the URL the SDK called: only its path and query count.
    if (is_simple(host) && !target.empty() && target.front() == '/') {
        const bool fragment = target.find('#') != std::string::npos;
        const std::string audience = "https://" + host + target; // the view below points into it
        const auto path_and_query = auth::audience_path_and_query(audience);
        FUZZ_CHECK(fragment ? !path_and_query : path_and_query == std::optional<std::string_view>(target));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    const auto mode = input.ConsumeIntegralInRange<int>(0, 2);
    const std::int64_t now = input.ConsumeIntegralInRange<std::int64_t>(-1, 4'102'444'800); // to 2100
    if (mode == 2) {
        minted_mode(input, now);
        return 0;
    }
    const std::string hub = input.ConsumeRandomLengthString(16);
    // A public endpoint's "host:port", or none (any host), for each kind of token.
    const std::string client_authority = input.ConsumeBool() ? input.ConsumeRandomLengthString(24) : "";
    const std::string request_authority = input.ConsumeBool() ? input.ConsumeRandomLengthString(24) : "";
    const std::string target = input.ConsumeRandomLengthString(64);
    const auto skew = std::chrono::seconds(input.ConsumeIntegralInRange<int>(0, 600));
    const contexts ctx{{.hub = hub, .required_authority = client_authority, .now = now, .clock_skew = skew},
                       {.names_this_request = names_exactly(target),
                        .required_authority = request_authority,
                        .now = now,
                        .clock_skew = skew}};
    if (mode == 0) {
        verify_everywhere(input.ConsumeRemainingBytesAsString(), ctx);
    } else {
        signed_mode(input, ctx);
    }
    return 0;
}
