#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

#include "grove/forms.h"
#include "grove/json.h"

namespace grove {
namespace {

constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53);

// Where the text goes: kept whole, or, for a content hash, streamed into the digest in
// pieces so that a large array never sits in memory as text.
struct Sink {
  static constexpr std::size_t kPiece = 1 << 16;
  std::string text;
  Sha256* digest = nullptr;
  std::size_t limit = SIZE_MAX;  // past it the writer stops: the text is not wanted whole
  bool over = false;

  void spill() {
    if (digest && text.size() >= kPiece) {
      digest->update(text);
      text.clear();
    }
    if (text.size() > limit) over = true;
  }
};

void write_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 15];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void write_base64(std::string& out, std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out += '"';
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], kAlphabet[n & 63]};
  }
  if (std::size_t rest = bytes.size() - i) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (rest == 2 ? uint8_t(bytes[i + 1]) << 8 : 0);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], rest == 2 ? kAlphabet[(n >> 6) & 63] : '=', '='};
  }
  out += '"';
}

template <class Float>
void write_float(std::string& out, Float f, bool typed) {
  if (std::isnan(f)) {
    out += "\"NaN\"";
  } else if (std::isinf(f)) {
    out += f > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else if (typed && f == 0 && std::signbit(f)) {
    out += "\"-0\"";
  } else {
    char buf[32];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, f).ptr);  // shortest text that reads back exactly
  }
}

void write_integer(std::string& out, const Value& v, const TypeInfo& t) {
  bool negative = t.is_signed && v.as_i64() < 0;
  uint64_t magnitude = negative ? 0 - v.bits : v.bits;
  bool quoted = magnitude > kMaxSafeInteger;
  if (quoted) out += '"';
  if (negative) out += '-';
  out += std::to_string(magnitude);
  if (quoted) out += '"';
}

// Vectors and arrays as a JSON array of their numbers.
void write_elements(Sink& sink, const Value& v, bool typed) {
  Elements e = elements_of(v);
  std::string& out = sink.text;
  out += '[';
  for (std::size_t i = 0; i < e.count; ++i) {
    if (i > 0) out += ',';
    double x = element_at(e, i);
    if (e.element == Element::kF32) {
      write_float(out, static_cast<float>(x), typed);
    } else if (e.element == Element::kF64) {
      write_float(out, x, typed);
    } else {
      char buf[16];
      out.append(buf, std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(x)).ptr);
    }
    if ((i & 4095) == 4095) {
      sink.spill();
      if (sink.over) return;
    }
  }
  out += ']';
}

void write_value(Sink& sink, const Value& v, bool typed) {
  std::string& out = sink.text;
  const TypeInfo& t = type_info(v.type);
  if (v.type == type::kNull || t.structured) {
    out += "null";
  } else if (v.type == type::kBool) {
    out += v.bits ? "true" : "false";
  } else if (v.type == type::kStr) {
    write_string(out, v.blob);
  } else if (v.type == type::kBytes) {
    write_base64(out, v.blob);
  } else if (t.element != Element::kNone) {
    write_elements(sink, v, typed);
  } else if (has_text_form(v.type)) {
    write_string(out, text_form(v));
  } else if (t.is_float) {
    t.bits == 32 ? write_float(out, v.as_f32(), typed) : write_float(out, v.as_f64(), typed);
  } else {
    write_integer(out, v, t);
  }
}

void write_type(std::string& out, TypeId id) {
  const TypeInfo* t = find_type(id);
  if (t) {
    write_string(out, t->name);
  } else {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", id);  // an application type; typed import reads it back
    write_string(out, buf);
  }
}

// The names a plain object has written, so that only the first child of each is: open
// addressing on the hash each node keeps of its name, in a table sized to what was
// written (a probe of the child list's own index, which spans every child, misses the
// cache each time; a set of strings allocates each time).
class NamesWritten {
 public:
  // Adds the child's name; false when a child of that name was written already.
  bool insert(const Node& child) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    const uint32_t hash = child.name_hash();
    for (std::size_t i = hash & mask();; i = (i + 1) & mask()) {
      Slot& slot = slots_[i];
      if (!slot.node) {
        slot = {hash, &child};
        ++count_;
        return true;
      }
      if (slot.hash == hash && slot.node->name() == child.name()) return false;
    }
  }

 private:
  struct Slot {
    uint32_t hash = 0;
    const Node* node = nullptr;  // borrowed from the frame's snapshot, which outlives this
  };
  std::size_t mask() const noexcept { return slots_.size() - 1; }
  void grow() {
    std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(std::max<std::size_t>(16, slots_.size() * 2)));
    for (const Slot& moved : old) {
      if (!moved.node) continue;
      std::size_t i = moved.hash & mask();
      while (slots_[i].node) i = (i + 1) & mask();
      slots_[i] = moved;
    }
  }
  std::vector<Slot> slots_;  // a power of two, at most half full
  std::size_t count_ = 0;
};

// One structured node being written: its children as they were when it was opened.
struct Frame {
  Snapshot children;
  std::size_t next = 0;
  bool as_array;          // plain lists and every typed children array
  NamesWritten written;  // plain objects: the names written so far
};

// Writes the subtree at `top` into the sink; with `unnamed_top`, top's name as "".
void write_tree(const Node& top, JsonFormat format, std::size_t max_depth, bool unnamed_top, Sink& sink) {
  const bool typed = format != JsonFormat::kPlain;
  const bool ids = format == JsonFormat::kStore || format == JsonFormat::kSnapshot;
  const bool versions = format == JsonFormat::kSnapshot;
  std::string& out = sink.text;
  std::vector<Frame> stack;
  // Writes a node (as a member value; the caller wrote its key in plain objects) and
  // opens a frame for its children when it has them to write.
  auto open = [&](const Node& node) {
    const bool structured = type_info(node.type()).structured;
    const bool cut = structured && stack.size() > max_depth;
    if (cut && !typed) {
      out += "true";
      return;
    }
    if (typed) {
      out += "{\"name\":";
      write_string(out, unnamed_top && &node == &top ? std::string_view() : node.name());
      out += ",\"type\":";
      write_type(out, node.type());
      if (ids) {
        out += ",\"id\":";
        out += std::to_string(node.id());
      }
      if (versions) {
        out += ",\"ver\":";
        out += std::to_string(node.version());
      }
      if (cut) {
        out += ",\"childCount\":" + std::to_string(node.child_count()) + "}";
        return;
      }
      out += structured ? ",\"children\":[" : ",\"value\":";
      if (!structured) {
        write_value(sink, node.value(), true);
        out += '}';
        return;
      }
    } else if (!structured) {
      write_value(sink, node.value(), false);
      return;
    }
    const bool array = typed || node.type() == type::kList;
    if (!typed) out += array ? '[' : '{';
    stack.push_back({node.children(), 0, array, {}});
  };
  open(top);
  while (!stack.empty()) {
    sink.spill();
    if (sink.over) return;
    Frame& frame = stack.back();
    if (frame.next == frame.children.size()) {
      out += frame.as_array ? "]" : "}";
      if (typed) out += '}';
      stack.pop_back();
      continue;
    }
    const Node& child = *frame.children.at(frame.next++);
    // a plain object writes the first child of each name (what a path names), skipping the others
    if (!frame.as_array && !frame.written.insert(child)) continue;
    if (frame.next > 1) out += ',';  // the first child is never a skipped duplicate
    if (!frame.as_array) {
      write_string(out, child.name());
      out += ':';
    }
    open(child);
  }
}

}  // namespace

std::string write_json(const Node& top, JsonFormat format, std::size_t max_depth) {
  Sink sink;
  write_tree(top, format, max_depth, false, sink);
  return std::move(sink.text);
}

std::optional<std::string> write_json_within(const Node& node, JsonFormat format, std::size_t max_bytes) {
  Sink sink;
  sink.limit = max_bytes;
  write_tree(node, format, SIZE_MAX, false, sink);
  sink.spill();
  if (sink.over) return std::nullopt;
  return std::move(sink.text);
}

void append_json(std::string& out, const Node& node, JsonFormat format) {
  Sink sink{std::move(out), nullptr};
  write_tree(node, format, SIZE_MAX, false, sink);
  out = std::move(sink.text);
}

std::string value_json(const Value& value, JsonFormat format) {
  Sink sink;
  write_value(sink, value, format != JsonFormat::kPlain);
  return std::move(sink.text);
}

void append_json_string(std::string& out, std::string_view text) { write_string(out, text); }

Digest content_hash(const Node& node) {
  Sha256 digest;
  Sink sink{{}, &digest};
  write_tree(node, JsonFormat::kTyped, SIZE_MAX, true, sink);
  digest.update(sink.text);
  return digest.finish();
}

}  // namespace grove
