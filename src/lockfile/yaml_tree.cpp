// The yaml-cpp adapter of the lockfile module: events -> YNode, record items
// streamed to a sink. Every yaml-cpp exception is caught here.
#include "yaml_tree.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <istream>
#include <optional>
#include <streambuf>
#include <unordered_set>

namespace pixi_install::lockfile::detail {

const YNode* YNode::find(std::string_view key) const {
    if (type != Type::map) return nullptr;
    for (std::size_t i = 0; i < keys.size(); ++i)
        if (keys[i] == key) return &items[i];
    return nullptr;
}

base::Error yaml_error(std::string_view origin, int line, int col, const std::string& message) {
    std::string m(origin);
    if (line > 0) {
        m.push_back(':');
        m.append(std::to_string(line));
        m.push_back(':');
        m.append(std::to_string(col));
    }
    m.append(": ");
    m.append(message);
    return base::fail(base::ErrorKind::lockfile, std::move(m));
}

base::Error node_error(std::string_view origin, const YNode& at, const std::string& message) {
    return yaml_error(origin, at.line, at.col, message);
}

namespace {

constexpr std::size_t kMaxDepth = 64;
constexpr std::size_t kMaxAliasNodes = 1'000'000;
// The text that aliases may add, in bytes of scalars and keys: a fixed allowance plus a
// multiple of the input's size. pixi writes no aliases, and the largest real locks are a
// few MB, so this only stops documents built to expand (billion laughs).
constexpr std::size_t kAliasBytesBase = 64u << 20;
constexpr std::size_t kAliasBytesPerInputByte = 16;

/// A read-only streambuf over a string_view (no copy of the text).
class ViewBuf : public std::streambuf {
public:
    explicit ViewBuf(std::string_view s) {
        char* b = const_cast<char*>(s.data());
        setg(b, b, b + s.size());
    }
};

struct Abort {};

/// Nodes and bytes (scalar values and keys) of a tree.
struct Size {
    std::size_t nodes = 0;
    std::size_t bytes = 0;
};

Size size_of(const YNode& n) {
    Size s{1, n.value.size()};
    for (const auto& k : n.keys) s.bytes += k.size();
    for (const auto& i : n.items) {
        Size c = size_of(i);
        s.nodes += c.nodes;
        s.bytes += c.bytes;
    }
    return s;
}

std::string mib(std::size_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

class Builder : public YAML::EventHandler {
public:
    Builder(const YamlOptions& o, const ItemSink& sink, std::size_t text_size)
        : opts_(o), sink_(sink), max_alias_bytes_(kAliasBytesBase + kAliasBytesPerInputByte * text_size) {}

    std::optional<base::Error> error;
    std::optional<YNode> root;

    void OnDocumentStart(const YAML::Mark&) override {}
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        YNode n = make(mark, YNode::Type::null);
        add(std::move(n), anchor);
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        if (anchor >= anchors_.size() || !anchors_[anchor]) stop(mark, "alias to an unknown anchor");
        const Size& size = anchor_sizes_[anchor];
        alias_nodes_ += size.nodes;
        alias_bytes_ += size.bytes;
        if (alias_nodes_ > kMaxAliasNodes) stop(mark, "YAML aliases expand to too many nodes");
        if (alias_bytes_ > max_alias_bytes_)
            stop(mark, "YAML aliases expand to more than " + mib(max_alias_bytes_) +
                           " (the limit is 64 MiB plus 16 times the size of the text); a pixi.lock needs no aliases");
        YNode copy = *anchors_[anchor];
        copy.line = line_of(mark);
        copy.col = static_cast<int>(mark.column) + 1;
        add(std::move(copy), 0);
    }
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        YNode n = make(mark, YNode::Type::scalar);
        n.plain = (tag == "?");
        n.value = value;
        add(std::move(n), anchor);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(mark, YNode::Type::seq, anchor);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(mark, YNode::Type::map, anchor);
    }
    void OnMapEnd() override { close(); }

private:
    struct Frame {
        YNode node;
        YAML::anchor_t anchor = 0;
        bool stream = false;  ///< items go to the sink
        std::unordered_set<std::string> key_set;  ///< used once a map grows large
    };

    int line_of(const YAML::Mark& m) const { return static_cast<int>(m.line) + 1 + opts_.line_offset; }

    YNode make(const YAML::Mark& mark, YNode::Type t) const {
        YNode n;
        n.type = t;
        n.line = line_of(mark);
        n.col = static_cast<int>(mark.column) + 1;
        return n;
    }

    [[noreturn]] void stop(const YAML::Mark& mark, const std::string& msg) {
        error = yaml_error(opts_.origin, line_of(mark), static_cast<int>(mark.column) + 1, msg);
        throw Abort{};
    }
    [[noreturn]] void stop_at(const YNode& at, const std::string& msg) {
        error = node_error(opts_.origin, at, msg);
        throw Abort{};
    }

    bool expects_key() const {
        if (stack_.empty()) return false;
        const YNode& p = stack_.back().node;
        return p.type == YNode::Type::map && p.keys.size() == p.items.size();
    }

    void open(const YAML::Mark& mark, YNode::Type t, YAML::anchor_t anchor) {
        if (expects_key()) stop(mark, "mapping keys must be plain strings");
        if (stack_.size() >= kMaxDepth) stop(mark, "YAML nested deeper than 64 levels");
        Frame f;
        f.node = make(mark, t);
        f.anchor = anchor;
        if (t == YNode::Type::seq) {
            if (opts_.items_only) {
                f.stream = stack_.empty();
            } else if (stack_.size() == 1 && stack_[0].node.type == YNode::Type::map &&
                       !stack_[0].node.keys.empty()) {
                const std::string& k = stack_[0].node.keys.back();
                f.stream = (k == "packages" || k == "package");
            }
        }
        if (stack_.empty()) {
            if (opts_.items_only && t != YNode::Type::seq) stop(mark, "expected a sequence of records");
        }
        stack_.push_back(std::move(f));
    }

    void close() {
        Frame f = std::move(stack_.back());
        stack_.pop_back();
        add(std::move(f.node), f.anchor);
    }

    void add(YNode&& n, YAML::anchor_t anchor) {
        if (anchor != 0) {
            if (anchors_.size() <= anchor) {
                anchors_.resize(anchor + 1);
                anchor_sizes_.resize(anchor + 1);
            }
            anchors_[anchor] = n;
            anchor_sizes_[anchor] = size_of(n);
        }
        if (stack_.empty()) {
            root = std::move(n);
            return;
        }
        Frame& p = stack_.back();
        if (p.node.type == YNode::Type::map) {
            if (p.node.keys.size() == p.node.items.size()) {
                if (n.type != YNode::Type::scalar) stop_at(n, "mapping keys must be plain strings");
                bool dup = false;
                if (p.node.keys.size() < 16) {
                    for (const auto& k : p.node.keys) dup |= (k == n.value);
                } else {
                    if (p.key_set.empty()) p.key_set.insert(p.node.keys.begin(), p.node.keys.end());
                    dup = !p.key_set.insert(n.value).second;
                }
                if (dup) stop_at(n, "duplicate key `" + n.value + "`");
                p.node.keys.push_back(std::move(n.value));
            } else {
                p.node.items.push_back(std::move(n));
            }
            return;
        }
        if (p.stream) {
            auto r = sink_(std::move(n));
            if (!r.ok()) {
                error = std::move(r).error();
                throw Abort{};
            }
            return;
        }
        p.node.items.push_back(std::move(n));
    }

    const YamlOptions& opts_;
    const ItemSink& sink_;
    std::vector<Frame> stack_;
    std::vector<std::optional<YNode>> anchors_;
    std::vector<Size> anchor_sizes_;
    std::size_t alias_nodes_ = 0;
    std::size_t alias_bytes_ = 0;
    std::size_t max_alias_bytes_;
};

}  // namespace

base::Result<YNode> parse_yaml(std::string_view text, const YamlOptions& opts, const ItemSink& sink) {
    ViewBuf buf(text);
    std::istream in(&buf);
    Builder b(opts, sink, text.size());
    try {
        YAML::Parser parser(in);
        if (!parser.HandleNextDocument(b)) return yaml_error(opts.origin, 0, 0, "the file is empty");
        if (parser.HandleNextDocument(b))
            return yaml_error(opts.origin, 0, 0, "holds more than one YAML document");
    } catch (const Abort&) {
        return std::move(*b.error);
    } catch (const YAML::Exception& e) {
        std::string msg = e.msg.empty() ? std::string("invalid YAML") : "invalid YAML: " + e.msg;
        int line = e.mark.line >= 0 ? e.mark.line + 1 + opts.line_offset : 0;
        return yaml_error(opts.origin, line, e.mark.column + 1, msg);
    } catch (const std::exception& e) {
        return yaml_error(opts.origin, 0, 0, std::string("cannot read YAML: ") + e.what());
    }
    if (!b.root) return yaml_error(opts.origin, 0, 0, "the file is empty");
    return std::move(*b.root);
}

}  // namespace pixi_install::lockfile::detail
