// Conda version parsing and ordering (CEP 33).
#include "pixi_install/spec/version.hpp"
#include "pixi_install/base/strings.hpp"

#include <algorithm>
#include <cctype>

namespace pixi_install::spec {

namespace {

using base::trim;

using base::ErrorKind;
using base::fail;

std::string strip_zeros(std::string_view digits) {
    std::size_t i = 0;
    while (i < digits.size() && digits[i] == '0') ++i;
    return std::string(digits.substr(i));
}

int compare_numbers(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    int c = a.compare(b);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

int rank(VersionComponent::Kind k) {
    switch (k) {
        case VersionComponent::Kind::dev: return 0;
        case VersionComponent::Kind::string: return 1;
        case VersionComponent::Kind::number: return 2;
        case VersionComponent::Kind::post: return 3;
    }
    return 2;
}

int compare_component(const VersionComponent& a, const VersionComponent& b) {
    int ra = rank(a.kind), rb = rank(b.kind);
    if (ra != rb) return ra < rb ? -1 : 1;
    if (a.kind == VersionComponent::Kind::number) return compare_numbers(a.text, b.text);
    if (a.kind == VersionComponent::Kind::string) {
        int c = a.text.compare(b.text);
        return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    return 0;
}

int compare_segment(const VersionSegment& a, const VersionSegment& b) {
    static const VersionComponent zero = VersionComponent::zero();
    std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        int c = compare_component(i < a.size() ? a[i] : zero, i < b.size() ? b[i] : zero);
        if (c != 0) return c;
    }
    return 0;
}

/// Splits one segment ("0rc1", "post2", "3_") into components.
VersionSegment split_segment(std::string_view seg) {
    VersionSegment out;
    std::size_t i = 0;
    while (i < seg.size()) {
        bool digit = std::isdigit(static_cast<unsigned char>(seg[i])) != 0;
        std::size_t j = i;
        while (j < seg.size() && (std::isdigit(static_cast<unsigned char>(seg[j])) != 0) == digit) ++j;
        std::string_view run = seg.substr(i, j - i);
        VersionComponent c;
        if (digit) {
            c.kind = VersionComponent::Kind::number;
            c.text = strip_zeros(run);
        } else if (run == "dev") {
            c.kind = VersionComponent::Kind::dev;
        } else if (run == "post") {
            c.kind = VersionComponent::Kind::post;
        } else {
            c.kind = VersionComponent::Kind::string;
            c.text = std::string(run);
        }
        if (out.empty() && !digit) out.push_back(VersionComponent::zero());
        out.push_back(std::move(c));
        i = j;
    }
    return out;
}

/// Splits a main or local part (already lower-case, `-` replaced by `_`) into segments.
base::Result<std::vector<VersionSegment>> split_part(std::string_view part, std::string_view whole) {
    std::size_t underscores = 0;
    while (underscores < part.size() && part[part.size() - 1 - underscores] == '_') ++underscores;
    std::string_view body = part.substr(0, part.size() - underscores);
    if (body.empty())
        return fail(ErrorKind::failure, "invalid version '" + std::string(whole) + "': empty version part");
    std::vector<VersionSegment> out;
    std::size_t i = 0;
    while (true) {
        std::size_t j = body.find_first_of("._", i);
        std::string_view seg = body.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
        if (seg.empty())
            return fail(ErrorKind::failure, "invalid version '" + std::string(whole) + "': empty segment");
        out.push_back(split_segment(seg));
        if (j == std::string_view::npos) break;
        i = j + 1;
    }
    if (underscores > 0) {
        VersionComponent c;
        c.kind = VersionComponent::Kind::string;
        c.text = std::string(underscores, '_');
        out.back().push_back(std::move(c));
    }
    return out;
}

}  // namespace

int compare_segments(const std::vector<VersionSegment>& a, const std::vector<VersionSegment>& b) {
    static const VersionSegment empty;
    std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        int c = compare_segment(i < a.size() ? a[i] : empty, i < b.size() ? b[i] : empty);
        if (c != 0) return c;
    }
    return 0;
}

base::Result<Version> Version::parse(std::string_view text) {
    std::string_view t = trim(text);
    const std::string whole(t);
    if (t.empty()) return fail(ErrorKind::failure, "invalid version '': empty version");
    std::string s;
    s.reserve(t.size());
    for (char ch : t) {
        unsigned char u = static_cast<unsigned char>(ch);
        if (!(std::isalnum(u) || ch == '.' || ch == '_' || ch == '-' || ch == '+' || ch == '!'))
            return fail(ErrorKind::failure,
                        "invalid version '" + whole + "': character '" + std::string(1, ch) + "' is not allowed");
        s.push_back(static_cast<char>(std::tolower(u)));
    }
    if (s.find('-') != std::string::npos && s.find('_') != std::string::npos)
        return fail(ErrorKind::failure, "invalid version '" + whole + "': mixes '-' and '_' separators");
    std::replace(s.begin(), s.end(), '-', '_');

    Version v;
    v.source_ = whole;
    std::string_view rest = s;
    if (auto bang = rest.find('!'); bang != std::string_view::npos) {
        std::string_view ep = rest.substr(0, bang);
        if (ep.empty() || !std::all_of(ep.begin(), ep.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            return fail(ErrorKind::failure, "invalid version '" + whole + "': the epoch must be a number");
        v.epoch_ = strip_zeros(ep);
        rest = rest.substr(bang + 1);
        if (rest.find('!') != std::string_view::npos)
            return fail(ErrorKind::failure, "invalid version '" + whole + "': more than one '!'");
    }
    std::string_view main = rest, local;
    if (auto plus = rest.find('+'); plus != std::string_view::npos) {
        main = rest.substr(0, plus);
        local = rest.substr(plus + 1);
        if (local.find('+') != std::string_view::npos)
            return fail(ErrorKind::failure, "invalid version '" + whole + "': more than one '+'");
        if (local.empty())
            return fail(ErrorKind::failure, "invalid version '" + whole + "': empty local version");
    }
    PI_TRY(v.main_, split_part(main, whole));
    if (!local.empty()) {
        PI_TRY(v.local_, split_part(local, whole));
    }
    return v;
}

int Version::compare(const Version& other) const {
    if (int c = compare_numbers(epoch_, other.epoch_); c != 0) return c;
    if (int c = compare_segments(main_, other.main_); c != 0) return c;
    return compare_segments(local_, other.local_);
}

bool Version::starts_with(const Version& prefix) const {
    if (compare_numbers(epoch_, prefix.epoch_) != 0) return false;
    const std::vector<VersionSegment>* t1 = &main_;
    const std::vector<VersionSegment>* t2 = &prefix.main_;
    if (prefix.has_local()) {
        if (compare_segments(main_, prefix.main_) != 0) return false;
        t1 = &local_;
        t2 = &prefix.local_;
    }
    if (t2->empty()) return true;
    std::size_t nt = t2->size() - 1;
    std::vector<VersionSegment> head1(t1->begin(), t1->begin() + static_cast<std::ptrdiff_t>(std::min(nt, t1->size())));
    std::vector<VersionSegment> head2(t2->begin(), t2->begin() + static_cast<std::ptrdiff_t>(nt));
    if (compare_segments(head1, head2) != 0) return false;
    static const VersionSegment empty;
    const VersionSegment& v1 = nt < t1->size() ? (*t1)[nt] : empty;
    const VersionSegment& v2 = (*t2)[nt];
    if (v2.empty()) return true;
    std::size_t nc = v2.size() - 1;
    VersionSegment c1(v1.begin(), v1.begin() + static_cast<std::ptrdiff_t>(std::min(nc, v1.size())));
    VersionSegment c2(v2.begin(), v2.begin() + static_cast<std::ptrdiff_t>(nc));
    if (compare_segment(c1, c2) != 0) return false;
    const VersionComponent zero = VersionComponent::zero();
    const VersionComponent& last1 = nc < v1.size() ? v1[nc] : zero;
    const VersionComponent& last2 = v2[nc];
    return compare_component(last1, last2) == 0;
}

}  // namespace pixi_install::spec
