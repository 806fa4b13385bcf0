#pragma once

#include <string>
#include <string_view>

namespace hubcast::server {

/// The access key the config file template holds. validate() refuses it, so a server installed from
/// the template does not start until its operator has chosen a key: anyone who knows the key may
/// connect as any user and drive the REST API.
inline constexpr std::string_view placeholder_access_key = "replace-this-placeholder-with-a-secret-key";

/// A commented configuration file for a new installation (the Debian package's
/// /etc/hubcast/hubcast.toml), generated from settings(): each file setting with its summary and
/// its default, commented out, except the required ones, which hold `placeholder_access_key`.
/// It loads as it is (load_config_text); validate() then names the placeholder.
std::string config_template();

} // namespace hubcast::server
