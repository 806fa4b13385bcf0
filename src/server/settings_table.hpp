#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "server/options.hpp"

namespace hubcast::server {

// The one description of every flat setting: the readers (TOML file, environment, command line),
// validate(), --print-config and the tables of docs/configuration.md are all produced from it.
// Defaults are not here: they are the in-class defaults of server_options and the aggregates it
// holds, each with its reason (style rule 10). Per-hub settings ([hubs.<name>]) and [upstream]
// are nested tables read by server/hub_config.

/// A setting's value as every source spells it.
using setting_value = std::variant<std::int64_t, std::string, std::vector<std::string>>;

enum class setting_kind : std::uint8_t { integer, text, text_list };

/// Reads and writes one field of server_options. Integer fields (any integral type or
/// std::chrono::duration) travel as std::int64_t; set() is only called with a value that passed
/// check_value(), whose range fits the field.
struct setting_field {
    setting_kind kind = setting_kind::integer;
    setting_value (*get)(const server_options&) = nullptr;
    void (*set)(server_options&, const setting_value&) = nullptr;
};

/// No upper bound beyond what the file format can hold.
inline constexpr std::int64_t unbounded = std::numeric_limits<std::int64_t>::max();

/// One setting. Fields left empty do not apply (no flag, no variable, no check).
struct setting {
    std::string_view section;     ///< TOML table holding the key: "" (top level) or "firewall"
    std::string_view key;         ///< TOML key within `section`; errors name the setting by it
    std::string_view flag;        ///< command-line flag
    std::string_view value_name;  ///< what the flag takes, shown in --help and the docs
    std::string_view environment; ///< HUBCAST_* variable
    setting_field field;
    bool in_file = true; ///< false: not a key of the file (the file's own name)

    std::int64_t min = 0;         ///< integers: the range
    std::int64_t max = unbounded; ///< integers: the range
    std::string_view zero_means;  ///< integers: 0 is allowed below `min` and means this
    std::string_view at_least;    ///< integers: key of the setting that bounds this one from below
    std::span<const std::string_view> choices; ///< text: the values allowed, if listed
    /// text, or each item of a list: what is wrong, if anything
    std::optional<std::string> (*check)(const std::string&) = nullptr;
    std::string_view required; ///< lists: the name of one item; at least one must be given
    bool secret = false;       ///< masked by --print-config
    setting_value (*printed)(const server_options&) = nullptr; ///< --print-config's value, if not the field

    std::string_view summary; ///< one sentence: --help and the docs
    std::string_view details; ///< more for the docs (markdown), may be empty
};

/// Every setting, in the order of docs/configuration.md.
std::span<const setting> settings();

/// The setting `key` of `section`, or null.
const setting* find_setting(std::string_view section, std::string_view key);

/// "key", or "section.key" for a key of a table.
std::string setting_name(const setting& setting);

/// What `value` breaks of the setting's own rules ("must be ..."), or nothing. Cross-setting rules
/// (`at_least`, `required`) are validate()'s.
std::optional<std::string> check_value(const setting& setting, const setting_value& value);

/// An environment variable's or a flag's text as the setting's value: a decimal integer, a string,
/// or (lists, environment) comma-separated items. The error says what is wrong with the text.
util::result<setting_value, std::string> parse_text(const setting& setting, std::string_view text);

/// The default as --help shows it (empty: none).
std::string default_text(const setting& setting);

/// The sections whose tables docs/configuration.md holds: "server" (top-level keys) and "firewall".
std::span<const std::string_view> settings_table_names();

/// The markdown table of one section, exactly as docs/configuration.md holds it between
/// `<!-- settings-table NAME ... -->` and `<!-- end settings-table NAME -->`; nothing for an
/// unknown name.
std::optional<std::string> settings_markdown(std::string_view name);

} // namespace hubcast::server
