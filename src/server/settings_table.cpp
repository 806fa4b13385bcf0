#include "server/settings_table.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <type_traits>

#include "api/trusted_proxies.hpp"
#include "auth/public_endpoint.hpp"
#include "backplane/redis_url.hpp"
#include "util/decimal.hpp"

namespace hubcast::server {

namespace {

template <typename T> struct is_duration : std::false_type {};
template <typename Rep, typename Period>
struct is_duration<std::chrono::duration<Rep, Period>> : std::true_type {};

/// `object.*First.*Rest...`: a field of server_options or of an aggregate it holds.
template <auto First, auto... Rest, typename Object> auto& member_of(Object& object) {
    if constexpr (sizeof...(Rest) == 0) {
        return object.*First;
    } else {
        return member_of<Rest...>(object.*First);
    }
}

template <auto... Path> setting_value get_field(const server_options& options) {
    const auto& value = member_of<Path...>(options);
    using type = std::remove_cvref_t<decltype(value)>;
    if constexpr (is_duration<type>::value) {
        return static_cast<std::int64_t>(value.count());
    } else if constexpr (std::is_integral_v<type>) {
        return static_cast<std::int64_t>(value);
    } else {
        return value;
    }
}

template <auto... Path> void set_field(server_options& options, const setting_value& value) {
    auto& field = member_of<Path...>(options);
    using type = std::remove_cvref_t<decltype(field)>;
    if constexpr (is_duration<type>::value) {
        field = type(std::get<std::int64_t>(value));
    } else if constexpr (std::is_integral_v<type>) {
        field = static_cast<type>(std::get<std::int64_t>(value));
    } else {
        field = std::get<type>(value);
    }
}

template <auto... Path> constexpr setting_field field() {
    using type = std::remove_cvref_t<decltype(member_of<Path...>(std::declval<server_options&>()))>;
    setting_kind kind = setting_kind::integer;
    if constexpr (std::is_same_v<type, std::string>) {
        kind = setting_kind::text;
    } else if constexpr (std::is_same_v<type, std::vector<std::string>>) {
        kind = setting_kind::text_list;
    } else {
        static_assert(std::is_integral_v<type> || is_duration<type>::value, "unsupported setting type");
    }
    return {kind, &get_field<Path...>, &set_field<Path...>};
}

template <auto Member> constexpr setting_field firewall_field() {
    return field<&server_options::firewall, Member>();
}

std::optional<std::string> check_listen(const std::string& text) {
    if (!parse_listen_address(text)) {
        return "must be HOST:PORT or [IPv6]:PORT with a port from 0 to 65535";
    }
    return std::nullopt;
}

std::optional<std::string> check_public_endpoint(const std::string& text) {
    if (text.empty()) {
        return std::nullopt;
    }
    auto parsed = auth::parse_public_endpoint(text);
    if (!parsed) {
        return parsed.error();
    }
    return std::nullopt;
}

std::optional<std::string> check_trusted_proxy(const std::string& text) {
    auto parsed = api::trusted_proxies::parse({text});
    if (!parsed) {
        return parsed.error();
    }
    return std::nullopt;
}

setting_value effective_workers(const server_options& options) {
    return static_cast<std::int64_t>(options.effective_workers());
}

std::optional<std::string> check_redis_url(const std::string& text) {
    if (text.empty()) {
        return std::nullopt;
    }
    auto parsed = backplane::parse_redis_url(text);
    if (!parsed) {
        return parsed.error();
    }
    return std::nullopt;
}

/// --print-config shows the URL with its password masked.
setting_value redis_without_password(const server_options& options) {
    const auto parsed = backplane::parse_redis_url(options.cluster.redis);
    return parsed ? parsed->describe() : options.cluster.redis;
}

constexpr std::size_t max_node_id = 64;

std::optional<std::string> check_node_id(const std::string& text) {
    const bool printable = std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7F; });
    if (text.size() > max_node_id || !printable) {
        return "must be at most " + std::to_string(max_node_id) +
               " printable ASCII characters without spaces";
    }
    return std::nullopt;
}

template <auto Member> constexpr setting_field cluster_field() {
    return field<&server_options::cluster, Member>();
}

constexpr std::string_view log_levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
constexpr std::string_view log_formats[] = {"text", "json"};
constexpr std::string_view on_off[] = {"off", "on"};

// Firewall ranges: wide enough for any real deployment, narrow enough that no arithmetic on them
// (now + lifetime, window totals, token refill) can overflow.
constexpr std::int64_t max_count = 1'000'000;
constexpr std::int64_t max_lifetime_seconds = 366LL * 24 * 3600;

// std::to_array counts the entries, so none is left value-initialized.
const auto table = std::to_array<setting>({
    {
        .key = "listen",
        .flag = "--listen",
        .value_name = "HOST:PORT",
        .environment = "HUBCAST_LISTEN",
        .field = field<&server_options::listen>(),
        .check = &check_listen,
        .summary = "Address to listen on; port 0 picks a free port.",
        .details = "IPv6 as `[::1]:8080`.",
    },
    {
        .key = "public_endpoint",
        .flag = "--public-endpoint",
        .value_name = "URL",
        .environment = "HUBCAST_PUBLIC_ENDPOINT",
        .field = field<&server_options::public_endpoint>(),
        .check = &check_public_endpoint,
        .summary =
            "The address clients and app servers reach hubcast at, `http(s)://host[:port]`; none: any.",
        .details = "When set, the `aud` of client and REST tokens must name this host and port, and "
                   "`:generateToken` and `nextLink` name it. When not, tokens may name any host: the "
                   "access key's signature is what proves a token, and a proxy or load balancer in front "
                   "may be reached under any name ([configuration.md](configuration.md#behind-a-proxy)).",
    },
    {
        .key = "trusted_proxies",
        .flag = "--trusted-proxy",
        .value_name = "ADDRESS",
        .environment = "HUBCAST_TRUSTED_PROXIES",
        .field = field<&server_options::trusted_proxies>(),
        .check = &check_trusted_proxy,
        .summary = "A proxy whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed: an IPv4 or IPv6 "
                   "address or range (`10.0.0.0/8`); none: those headers are ignored.",
        .details = "The client's address (per-address limits, logs) is then the last one in "
                   "`X-Forwarded-For` that is not a trusted proxy, and `X-Forwarded-Proto: https` makes "
                   "`nextLink` and minted token audiences https.",
    },
    {
        .key = "access_keys",
        .flag = "--access-key",
        .value_name = "KEY",
        .environment = "HUBCAST_ACCESS_KEYS",
        .field = field<&server_options::access_keys>(),
        .required = "access key",
        .secret = true,
        .summary = "Access keys: the first signs the tokens hubcast mints, every one verifies tokens (key "
                   "rotation).",
        .details = "Minted: `hubcast token`, REST `:generateToken`; verified: client tokens and REST bearer "
                   "tokens. Rotate by adding the new key second, moving it first once app servers use it, "
                   "then removing the old one. A key is used as the UTF-8 bytes of the string, as Azure's "
                   "SDKs do.",
    },
    {
        .key = "workers",
        .flag = "--workers",
        .value_name = "N",
        .environment = "HUBCAST_WORKERS",
        .field = field<&server_options::workers>(),
        .min = 1,
        .max = 256,
        .zero_means = "one per core",
        .printed = &effective_workers,
        .summary = "Worker threads; each owns the connections it accepted (one shard per worker).",
        .details = "`--print-config` shows the number in use.",
    },
    {
        .key = "keepalive_seconds",
        .flag = "--keepalive-seconds",
        .value_name = "N",
        .environment = "HUBCAST_KEEPALIVE_SECONDS",
        .field = field<&server_options::keepalive_seconds>(),
        .min = 1,
        .max = 120,
        .zero_means = "off",
        .summary = "WebSocket ping interval in seconds; a client silent for 3 intervals is closed.",
        .details = "Silent: no frame and no pong arrives; the close reason is `PingTimeout`. A hub may set "
                   "its own (`[hubs.<name>]`).",
    },
    {
        .key = "max_message_bytes",
        .flag = "--max-message-bytes",
        .value_name = "N",
        .environment = "HUBCAST_MAX_MESSAGE_BYTES",
        .field = field<&server_options::max_message_bytes>(),
        .min = 1024,
        .max = 64LL * 1024 * 1024,
        .summary = "Largest message a client may send, after reassembling fragments; a larger one closes the "
                   "connection with 1009.",
    },
    {
        .key = "max_outbound_bytes",
        .flag = "--max-outbound-bytes",
        .value_name = "N",
        .environment = "HUBCAST_MAX_OUTBOUND_BYTES",
        .field = field<&server_options::max_outbound_bytes>(),
        .at_least = "max_message_bytes",
        .summary = "Bytes queued for one client before it counts as a slow consumer and is closed with "
                   "SlowClient (1008).",
        .details = "Past 1 MiB or half of it, whichever is less, sends report back-pressure.",
    },
    {
        .key = "mailbox_max_bytes",
        .flag = "--mailbox-max-bytes",
        .value_name = "N",
        .environment = "HUBCAST_MAILBOX_MAX_BYTES",
        .field = field<&server_options::mailbox_max_bytes>(),
        .min = 64LL * 1024,
        .summary =
            "Per worker: bytes of cross-worker sends that may wait for that worker at once; past it they "
            "are dropped and counted.",
        .details =
            "A send is a publish or a REST send, weighed as its payload twice (payload and encoded "
            "frame) plus its names and 256 bytes. A dropped send is one message the worker's "
            "recipients miss, counted in `hubcast_mailbox_dropped_tasks_total`; commands (close, group "
            "membership, permissions) are never dropped. 64 MiB holds about 25,000 queued 1 KiB "
            "messages, far more than a healthy worker lets wait. See "
            "[architecture.md](architecture.md#10-as-built-and-departures).",
    },
    {
        .key = "reliable_recovery_seconds",
        .flag = "--reliable-recovery-seconds",
        .value_name = "N",
        .environment = "HUBCAST_RELIABLE_RECOVERY_SECONDS",
        .field = field<&server_options::reliable_recovery_seconds>(),
        .min = 1,
        .max = 3600,
        .zero_means = "no recovery",
        .summary = "How long a reliable client's session waits for a recovery after its connection is lost.",
        .details = "The session holds the client's groups, unacknowledged messages and ackIds. With `0` "
                   "sessions end with their connection and every recovery is refused. Azure keeps them "
                   "\"at least 30 s\". See [protocol.md](protocol.md#jsonreliablewebpubsubazurev1).",
    },
    {
        .key = "reliable_max_unacked_messages",
        .flag = "--reliable-max-unacked-messages",
        .value_name = "N",
        .environment = "HUBCAST_RELIABLE_MAX_UNACKED_MESSAGES",
        .field = field<&server_options::reliable_max_unacked_messages>(),
        .min = 1,
        .max = 1'000'000,
        .summary = "Unacknowledged messages a reliable session may hold; one more ends the session for good "
                   "with SlowClient (1008).",
        .details = "Azure's bound.",
    },
    {
        .key = "reliable_max_unacked_bytes",
        .flag = "--reliable-max-unacked-bytes",
        .value_name = "N",
        .environment = "HUBCAST_RELIABLE_MAX_UNACKED_BYTES",
        .field = field<&server_options::reliable_max_unacked_bytes>(),
        .at_least = "max_message_bytes",
        .summary = "Bytes of unacknowledged message frames a reliable session may hold; past it the session "
                   "ends the same way.",
        .details = "Azure's 16 MB.",
    },
    {
        .key = "max_groups_per_connection",
        .flag = "--max-groups-per-connection",
        .value_name = "N",
        .environment = "HUBCAST_MAX_GROUPS_PER_CONNECTION",
        .field = field<&server_options::max_groups_per_connection>(),
        .min = 1,
        .max = 100'000,
        .summary = "Groups one connection may be in; a join past it is refused and changes nothing.",
        .details = "Each membership costs about 650 bytes. A client's `joinGroup` gets a `Forbidden` ack "
                   "([protocol.md](protocol.md#acks)), REST adds answer `409 TooManyGroups` "
                   "([rest-api.md](rest-api.md#connections-users-and-groups)), a token naming more groups is "
                   "refused at the upgrade with 400 and a connect-event answer naming more with 500. Azure "
                   "documents no such limit.",
    },
    {
        .key = "max_invocations_per_connection",
        .flag = "--max-invocations-per-connection",
        .value_name = "N",
        .environment = "HUBCAST_MAX_INVOCATIONS_PER_CONNECTION",
        .field = field<&server_options::max_invocations_per_connection>(),
        .min = 1,
        .max = 10'000,
        .summary =
            "Invocations (`invoke` requests) one connection may have waiting for the event handler; one "
            "more is answered with an error response and the connection stays open.",
        .details = "The `invokeResponse` has `success: false` and the error `InternalServerError` "
                   "([protocol.md](protocol.md#invoke)). Azure documents no such limit.",
    },
    {
        .key = "log_level",
        .flag = "--log-level",
        .value_name = "LEVEL",
        .environment = "HUBCAST_LOG_LEVEL",
        .field = field<&server_options::log_level>(),
        .choices = log_levels,
        .summary = "Least severe level logged; logs go to stderr.",
    },
    {
        .key = "log_format",
        .flag = "--log-format",
        .value_name = "FORMAT",
        .environment = "HUBCAST_LOG_FORMAT",
        .field = field<&server_options::log_format>(),
        .choices = log_formats,
        .summary = "`text` (one line for people) or `json` (one JSON object per line, for log shippers).",
        .details = "JSON lines hold `time` (UTC, microseconds), `level`, `logger` (`hubcast`, or `access` "
                   "for the access log) and `msg` ([observability.md](observability.md#logs)).",
    },
    {
        .key = "access_log",
        .flag = "--access-log",
        .value_name = "on|off",
        .environment = "HUBCAST_ACCESS_LOG",
        .field = field<&server_options::access_log>(),
        .choices = on_off,
        .summary = "One log line per HTTP request answered and per WebSocket connection ended.",
        .details = "Off by default: at tens of thousands of requests a second the lines cost more than "
                   "the requests ([observability.md](observability.md#access-log)).",
    },
    {
        .key = "config",
        .flag = "--config",
        .value_name = "FILE",
        .environment = "HUBCAST_CONFIG",
        .field = field<&server_options::config_file>(),
        .in_file = false,
        .summary = "TOML configuration file, read before the environment and the flags.",
        .details = "Unknown keys, wrong types and values out of range stop the server with an error naming "
                   "the key. `SIGHUP` reads it again (hub settings only).",
    },

    {
        .section = "firewall",
        .key = "max_connections_per_user",
        .flag = "--max-connections-per-user",
        .value_name = "N",
        .environment = "HUBCAST_MAX_CONNECTIONS_PER_USER",
        .field = firewall_field<&api::firewall_options::max_connections_per_user>(),
        .min = 1,
        .max = max_count,
        .zero_means = "off",
        .summary =
            "Concurrent connections one user id may hold on this node; more are refused with 429 at the "
            "upgrade.",
        .details = "Azure's `ThrottleByUserIdRule`.",
    },
    {
        .section = "firewall",
        .key = "max_connections_per_token",
        .flag = "--max-connections-per-token",
        .value_name = "N",
        .environment = "HUBCAST_MAX_CONNECTIONS_PER_TOKEN",
        .field = firewall_field<&api::firewall_options::max_connections_per_token>(),
        .min = 1,
        .max = max_count,
        .zero_means = "off",
        .summary =
            "Concurrent connections one access token may hold on this node; more are refused with 429.",
        .details = "A token is told by its `jti`, else its signature. Azure's `ThrottleByJwtSignatureRule`.",
    },
    {
        .section = "firewall",
        .key = "max_connection_lifetime_seconds",
        .flag = "--max-connection-lifetime-seconds",
        .value_name = "N",
        .environment = "HUBCAST_MAX_CONNECTION_LIFETIME_SECONDS",
        .field = firewall_field<&api::firewall_options::max_connection_lifetime>(),
        .min = 1,
        .max = max_lifetime_seconds,
        .zero_means = "off",
        .summary = "Seconds after which a client connection is closed: its disconnected event, then 1008.",
        .details = "Azure's `maxClientConnectionLifetimeInSeconds`.",
    },
    {
        .section = "firewall",
        .key = "inbound_window_seconds",
        .flag = "--inbound-window-seconds",
        .value_name = "N",
        .environment = "HUBCAST_INBOUND_WINDOW_SECONDS",
        .field = firewall_field<&api::firewall_options::inbound_window>(),
        .min = 1,
        .max = 3600,
        .summary = "Aggregation window of the inbound message and byte limits, in seconds.",
        .details = "60 s is Azure's own example.",
    },
    {
        .section = "firewall",
        .key = "max_inbound_messages_per_window",
        .flag = "--max-inbound-messages-per-window",
        .value_name = "N",
        .environment = "HUBCAST_MAX_INBOUND_MESSAGES_PER_WINDOW",
        .field = firewall_field<&api::firewall_options::max_inbound_messages>(),
        .min = 1,
        .max = 1'000'000'000,
        .zero_means = "off",
        .summary = "Messages one connection may send per inbound window; the next one closes it with 1008.",
    },
    {
        .section = "firewall",
        .key = "max_inbound_bytes_per_window",
        .flag = "--max-inbound-bytes-per-window",
        .value_name = "N",
        .environment = "HUBCAST_MAX_INBOUND_BYTES_PER_WINDOW",
        .field = firewall_field<&api::firewall_options::max_inbound_bytes>(),
        .min = 1,
        .max = 1LL << 50,
        .zero_means = "off",
        .summary =
            "Message bytes one connection may send per inbound window; the message that passes it closes "
            "the connection with 1008.",
        .details = "Azure's `maxInboundMessageBytes` (which Azure counts per user or token).",
    },
    {
        .section = "firewall",
        .key = "handshakes_per_ip_per_second",
        .flag = "--handshakes-per-ip-per-second",
        .value_name = "N",
        .environment = "HUBCAST_HANDSHAKES_PER_IP_PER_SECOND",
        .field = firewall_field<&api::firewall_options::handshakes_per_ip_per_second>(),
        .min = 1,
        .max = max_count,
        .zero_means = "off",
        .summary = "Client upgrade requests one address (an IPv6 /64) may make per second; more get 429 with "
                   "Retry-After.",
        .details = "Azure has no such rule.",
    },
    {
        .section = "firewall",
        .key = "handshake_burst_per_ip",
        .flag = "--handshake-burst-per-ip",
        .value_name = "N",
        .environment = "HUBCAST_HANDSHAKE_BURST_PER_IP",
        .field = firewall_field<&api::firewall_options::handshake_burst_per_ip>(),
        .min = 1,
        .max = max_count,
        .summary = "Upgrade requests one address may make back to back before its per-second rate applies.",
    },
    {
        .section = "cluster",
        .key = "redis",
        .flag = "--redis",
        .value_name = "URL",
        .environment = "HUBCAST_REDIS",
        .field = cluster_field<&cluster_options::redis>(),
        .check = &check_redis_url,
        .printed = &redis_without_password,
        .summary = "The Redis that joins this node to the others of its cluster (scale-out); none: a single "
                   "node.",
        .details =
            "`redis://[[user]:password@]host[:port][/db]`, `unix://[[user]:password@]/path[?db=N]`, or "
            "`redis+cluster://[[user]:password@]host[:port][,host[:port]...]` for a Redis Cluster "
            "(any of its nodes; database 0). What crosses and what does not yet: "
            "[scale-out.md](scale-out.md).",
    },
    {
        .section = "cluster",
        .key = "node_id",
        .flag = "--node-id",
        .value_name = "NAME",
        .environment = "HUBCAST_NODE_ID",
        .field = cluster_field<&cluster_options::node_id>(),
        .check = &check_node_id,
        .summary = "This node's name in logs and on stdout at start; none: `node-` and the node key.",
        .details = "The node key (the first 8 characters of every connection id it makes) is what other "
                   "nodes address it by; it is random per process.",
    },
    {
        .section = "cluster",
        .key = "heartbeat_seconds",
        .flag = "--heartbeat-seconds",
        .value_name = "N",
        .environment = "HUBCAST_HEARTBEAT_SECONDS",
        .field = cluster_field<&cluster_options::heartbeat_seconds>(),
        .min = 1,
        .max = 60,
        .summary = "How often this node renews its presence in Redis; other nodes forget it after 3 missed "
                   "heartbeats.",
        .details = "Lower: a killed node's connections, users and groups vanish from other nodes' checks "
                   "sooner, for one Redis command per node per heartbeat. Each node's own value decides "
                   "how soon it is forgotten.",
    },
});

constexpr std::array<std::string_view, 3> table_names{"server", "firewall", "cluster"};

std::string_view section_of_table(std::string_view name) {
    return name == "server" ? std::string_view{} : name;
}

/// The pieces appended in order. Text is built this way here because `"literal" + std::string`
/// trips GCC 12's -Wrestrict false positive (GCC bug 105329) once inlined into these functions.
template <typename... Pieces> std::string concat(const Pieces&... pieces) {
    std::string out;
    (out.append(std::string_view(pieces)), ...);
    return out;
}

std::string code(std::string_view text) {
    return concat("`", text, "`");
}

std::string join(std::span<const std::string_view> items, std::string_view separator, bool as_code) {
    std::string out;
    for (const auto item : items) {
        if (!out.empty()) {
            out.append(separator);
        }
        out.append(as_code ? code(item) : std::string(item));
    }
    return out;
}

/// The allowed integers in words: "an integer from 1 to 120, or 0 (off)".
std::string integer_range(const setting& setting) {
    std::string range = setting.max == unbounded ? "an integer of at least " + std::to_string(setting.min)
                                                 : "an integer from " + std::to_string(setting.min) + " to " +
                                                       std::to_string(setting.max);
    if (!setting.zero_means.empty()) {
        range += concat(", or 0 (", setting.zero_means, ")");
    }
    return range;
}

std::string docs_range(const setting& setting) {
    switch (setting.field.kind) {
    case setting_kind::integer: {
        std::string range;
        if (!setting.zero_means.empty()) {
            range = concat("`0` (", setting.zero_means, ") or ");
        }
        if (!setting.at_least.empty()) {
            return concat(range, "at least ", code(setting.at_least));
        }
        return range + (setting.max == unbounded
                            ? "at least " + std::to_string(setting.min)
                            : std::to_string(setting.min) + "-" + std::to_string(setting.max));
    }
    case setting_kind::text:
        return setting.choices.empty() ? code(setting.value_name) : join(setting.choices, ", ", true);
    case setting_kind::text_list:
        return "non-empty strings";
    }
    return {};
}

std::string docs_default(const setting& setting) {
    const auto value = setting.field.get(server_options{});
    if (const auto* number = std::get_if<std::int64_t>(&value)) {
        return code(std::to_string(*number)) +
               (*number == 0 && !setting.zero_means.empty() ? concat(" (", setting.zero_means, ")") : "");
    }
    if (const auto* text = std::get_if<std::string>(&value)) {
        return text->empty() ? "none" : code(*text);
    }
    const auto& items = std::get<std::vector<std::string>>(value);
    return items.empty() ? (setting.required.empty() ? "none" : "none (required)")
                         : join(std::vector<std::string_view>(items.begin(), items.end()), ", ", true);
}

std::string docs_row(const setting& setting) {
    const bool list = setting.field.kind == setting_kind::text_list;
    std::string flag;
    if (!setting.flag.empty()) {
        flag = code(concat(setting.flag, " ", setting.value_name)) + (list ? " (repeatable)" : "");
    }
    const std::string key = setting.in_file ? code(setting.key) + (list ? " (array)" : "") : "";
    std::string environment;
    if (!setting.environment.empty()) {
        environment = code(setting.environment) + (list ? " (comma-separated)" : "");
    }
    std::string meaning(setting.summary);
    if (!setting.details.empty()) {
        meaning += concat(" ", setting.details);
    }
    return concat("| ", flag, " | ", key, " | ", environment, " | ", docs_default(setting), " | ",
                  docs_range(setting), " | ", meaning, " |\n");
}

} // namespace

std::span<const setting> settings() {
    return table;
}

const setting* find_setting(std::string_view section, std::string_view key) {
    const auto* found = std::find_if(table.begin(), table.end(),
                                     [&](const setting& s) { return s.section == section && s.key == key; });
    return found == table.end() ? nullptr : found;
}

std::string setting_name(const setting& setting) {
    return setting.section.empty() ? std::string(setting.key) : concat(setting.section, ".", setting.key);
}

std::optional<std::string> check_value(const setting& setting, const setting_value& value) {
    switch (setting.field.kind) {
    case setting_kind::integer: {
        const auto number = std::get<std::int64_t>(value);
        const bool zero_allowed = number == 0 && !setting.zero_means.empty();
        if (!zero_allowed && (number < setting.min || number > setting.max)) {
            return "must be " + integer_range(setting);
        }
        return std::nullopt;
    }
    case setting_kind::text: {
        const auto& text = std::get<std::string>(value);
        if (!setting.choices.empty() &&
            std::find(setting.choices.begin(), setting.choices.end(), text) == setting.choices.end()) {
            return "must be one of " + join(setting.choices, ", ", false) + ", not '" + text + "'";
        }
        return setting.check != nullptr ? setting.check(text) : std::nullopt;
    }
    case setting_kind::text_list: {
        const auto& items = std::get<std::vector<std::string>>(value);
        if (std::any_of(items.begin(), items.end(), [](const std::string& item) { return item.empty(); })) {
            return std::string("must not hold an empty string");
        }
        for (const auto& item : items) {
            if (auto problem = setting.check != nullptr ? setting.check(item) : std::nullopt) {
                return problem;
            }
        }
        return std::nullopt;
    }
    }
    return std::nullopt;
}

util::result<setting_value, std::string> parse_text(const setting& setting, std::string_view text) {
    switch (setting.field.kind) {
    case setting_kind::integer: {
        const auto number = util::parse_decimal<std::int64_t>(text);
        if (!number) {
            return util::fail(concat("'", text, "' is not a valid number"));
        }
        return setting_value(*number);
    }
    case setting_kind::text:
        return setting_value(std::string(text));
    case setting_kind::text_list: {
        std::vector<std::string> items;
        while (!text.empty()) {
            const auto comma = text.find(',');
            if (const auto item = text.substr(0, comma); !item.empty()) {
                items.emplace_back(item);
            }
            text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        }
        return setting_value(std::move(items));
    }
    }
    return util::fail(std::string("unknown setting kind"));
}

std::string default_text(const setting& setting) {
    const auto value = setting.field.get(server_options{});
    if (const auto* number = std::get_if<std::int64_t>(&value)) {
        return std::to_string(*number);
    }
    if (const auto* text = std::get_if<std::string>(&value)) {
        return *text;
    }
    return {};
}

std::span<const std::string_view> settings_table_names() {
    return table_names;
}

std::optional<std::string> settings_markdown(std::string_view name) {
    if (std::find(table_names.begin(), table_names.end(), name) == table_names.end()) {
        return std::nullopt;
    }
    const auto section = section_of_table(name);
    std::string out = "| flag | " +
                      (section.empty() ? std::string("TOML key") : concat("`[", section, "]` key")) +
                      " | environment | default | allowed | meaning |\n|---|---|---|---|---|---|\n";
    for (const auto& setting : table) {
        if (setting.section == section) {
            out += docs_row(setting);
        }
    }
    return out;
}

} // namespace hubcast::server
