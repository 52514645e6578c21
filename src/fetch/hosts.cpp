#include "pixi_install/fetch/hosts.hpp"

#include "pixi_install/base/strings.hpp"
#include "pixi_install/fetch/mirrors.hpp"

namespace pixi_install::fetch {

std::vector<std::string> credential_keys(std::string_view url) {
    std::vector<std::string> keys;
    bool s3 = base::ascii_lower(url.substr(0, 5)) == "s3://";
    std::string host = s3 ? base::ascii_lower(url.substr(5, url.find('/', 5) - 5)) : url_host(url);
    if (host.empty()) return keys;
    keys.push_back(host);
    if (s3) {
        std::string u(url.substr(0, url.find_first_of("?#")));
        while (u.size() > 5) {
            keys.push_back(u);
            auto slash = u.rfind('/');
            if (slash == std::string::npos || slash < 5) break;
            u.resize(slash);
        }
        return keys;
    }
    bool ip = host.front() == '[' || host.find_first_not_of("0123456789.") == std::string::npos;
    if (ip) return keys;  // an address has no domains
    std::string_view domain = host;
    while (!domain.empty()) {
        keys.push_back("*." + std::string(domain));
        auto dot = domain.find('.');
        if (dot == std::string_view::npos) break;
        domain.remove_prefix(dot + 1);
    }
    return keys;
}

bool bypasses_proxy(std::string_view no_proxy, std::string_view host) {
    std::string h = base::ascii_lower(host);
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    std::size_t p = 0;
    while (p < no_proxy.size()) {
        std::size_t end = no_proxy.find_first_of(", ", p);
        if (end == std::string_view::npos) end = no_proxy.size();
        std::string entry = base::ascii_lower(no_proxy.substr(p, end - p));
        p = end + 1;
        if (entry.empty()) continue;
        if (entry == "*") return true;
        if (entry.front() == '.') entry.erase(0, 1);
        if (entry.size() > 2 && entry.front() == '[' && entry.back() == ']') entry = entry.substr(1, entry.size() - 2);
        if (h == entry) return true;
        if (h.size() > entry.size() && h.compare(h.size() - entry.size(), entry.size(), entry) == 0 &&
            h[h.size() - entry.size() - 1] == '.')
            return true;
    }
    return false;
}

}  // namespace pixi_install::fetch
