#include "pixi_install/manifest/aws_config.hpp"

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/strings.hpp"

namespace pixi_install::manifest {

namespace fs = std::filesystem;

base::Result<IniSections> parse_aws_ini(std::string_view text, std::string_view origin) {
    IniSections out;
    std::string section;
    bool in_section = false;
    std::string* last = nullptr;  // the value an indented line continues
    std::size_t line_no = 0;
    std::size_t p = 0;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") p = 3;  // a BOM
    while (p < text.size()) {
        std::size_t end = text.find('\n', p);
        if (end == std::string_view::npos) end = text.size();
        std::string_view raw = text.substr(p, end - p);
        p = end + 1;
        ++line_no;
        if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
        std::string_view line = base::trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        auto where = [&] { return std::string(origin) + ":" + std::to_string(line_no); };
        if (raw.front() == ' ' || raw.front() == '\t') {
            if (!last) return base::fail(base::ErrorKind::usage, where() + ": an indented line continues no setting");
            *last += (last->empty() ? "" : "\n") + std::string(line);
            continue;
        }
        if (line.front() == '[') {
            if (line.back() != ']')
                return base::fail(base::ErrorKind::usage, where() + ": a section header needs a closing ']'");
            section = std::string(base::trim(line.substr(1, line.size() - 2)));
            // botocore reads "[profile   x]" as profile x.
            if (section.rfind("profile", 0) == 0 && section.size() > 7 && (section[7] == ' ' || section[7] == '\t'))
                section = "profile " + std::string(base::trim(std::string_view(section).substr(7)));
            in_section = true;
            out[section];
            last = nullptr;
            continue;
        }
        auto sep = line.find_first_of("=:");
        if (sep == std::string_view::npos || sep == 0)
            return base::fail(base::ErrorKind::usage, where() + ": expected 'key = value', a [section] or a comment");
        if (!in_section)
            return base::fail(base::ErrorKind::usage, where() + ": a setting before the first [section]");
        std::string key = base::ascii_lower(base::trim(line.substr(0, sep)));
        auto& value = out[section][key];
        value = std::string(base::trim(line.substr(sep + 1)));
        last = &value;
    }
    return out;
}

namespace {

base::Result<std::optional<IniSections>> load(const fs::path& path) {
    std::error_code ec;
    if (path.empty() || !fs::is_regular_file(path, ec)) return std::optional<IniSections>();
    PI_TRY(std::string text, base::read_file(path));
    PI_TRY(IniSections s, parse_aws_ini(text, path.string()));
    return std::optional<IniSections>(std::move(s));
}

const std::map<std::string, std::string>* section(const std::optional<IniSections>& file, const std::string& name) {
    if (!file) return nullptr;
    auto it = file->find(name);
    return it == file->end() ? nullptr : &it->second;
}

std::string get(const std::map<std::string, std::string>& s, const char* key) {
    auto it = s.find(key);
    return it == s.end() ? std::string() : it->second;
}

}  // namespace

base::Result<std::optional<AwsProfile>> load_aws_profile(const std::string& name, const fs::path& credentials_file,
                                                         const fs::path& config_file) {
    PI_TRY(auto creds, load(credentials_file));
    PI_TRY(auto config, load(config_file));
    const auto* c = section(creds, name);
    const auto* f = section(config, "profile " + name);
    if (!f && name == "default") f = section(config, "default");
    if (!c && !f) return std::optional<AwsProfile>();
    AwsProfile p;
    p.name = name;
    auto take_keys = [&](const std::map<std::string, std::string>& s, const std::string& origin) {
        if (get(s, "aws_access_key_id").empty()) return false;
        p.access_key_id = get(s, "aws_access_key_id");
        p.secret_access_key = get(s, "aws_secret_access_key");
        p.session_token = get(s, "aws_session_token");
        p.credentials_origin = origin;
        return true;
    };
    if (!(c && take_keys(*c, "profile " + name + " in " + credentials_file.string())) && f)
        take_keys(*f, "profile " + name + " in " + config_file.string());
    if (f) {
        p.region = get(*f, "region");
        if (!p.region.empty()) p.region_origin = "profile " + name + " in " + config_file.string();
        p.endpoint_url = get(*f, "endpoint_url");
        if (!p.endpoint_url.empty()) p.endpoint_origin = "profile " + name + " in " + config_file.string();
    }
    return std::optional<AwsProfile>(std::move(p));
}

}  // namespace pixi_install::manifest
