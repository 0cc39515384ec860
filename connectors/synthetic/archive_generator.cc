#include "connectors/synthetic/archive_generator.h"

#include <cstdio>
#include <ctime>
#include <string_view>

#include "base/json_writer.h"
#include "base/rfc3339.h"

namespace triage {

namespace {

struct Template {
  const char* lang;
  const char* label;
  const char* text;  // {b} brand, {n} number, {p} product
};

// Written for the project. Mixed so that about a third of messages are not
// English, as in a global brand's inbox.
constexpr Template kTemplates[] = {
    {"en", "support", "@{b} my order {n} still hasn't arrived and tracking hasn't moved in a week, can someone help?"},
    {"en", "support", "the {p} app keeps crashing since the update, tried reinstalling twice. any fix?"},
    {"en", "support", "I was charged twice for my {p} subscription this month, please refund one of them"},
    {"en", "support", "can't log in to my {b} account, password reset email never comes"},
    {"en", "lead", "how much is the {p} for a team of {n}? thinking of switching from our current provider"},
    {"en", "lead", "do you ship the {p} to Canada? want to buy two before christmas"},
    {"en", "lead", "we'd like a demo of the enterprise plan for about {n} seats"},
    {"en", "feedback", "honestly the new {p} is the best thing {b} has made, battery lasts forever"},
    {"en", "feedback", "love the {p} but please bring back the old layout, the new one is confusing"},
    {"en", "feedback", "the {p} is overpriced for what it does, disappointed tbh"},
    {"en", "crisis", "my {p} caught fire on the charger last night, this is dangerous @{b}"},
    {"en", "crisis", "three of us got food poisoning after eating at {b} on friday, reporting this to the regulator"},
    {"en", "crisis", "journalist here, working on a story about the {b} data leak. would you like to comment?"},
    {"en", "none", "good morning everyone, coffee time before the commute"},
    {"en", "none", "GIVEAWAY: win a {p}! follow and RT, tag 2 friends"},
    {"en", "none", "just landed, the view from the plane was unreal"},
    {"es", "support", "mi pedido {n} no ha llegado y nadie responde, necesito ayuda"},
    {"es", "lead", "¿cuánto cuesta el {p}? quiero comprar uno para mi hermana"},
    {"es", "feedback", "me encanta el {p} de {b}, excelente calidad"},
    {"pt", "support", "o app não funciona desde ontem, não consigo entrar na minha conta"},
    {"pt", "lead", "quanto custa o plano família do {p}?"},
    {"fr", "support", "ma commande {n} n'est toujours pas arrivée, je veux être remboursé"},
    {"fr", "feedback", "le {p} est génial mais trop cher"},
    {"de", "support", "die App funktioniert nicht, ich kann mich nicht anmelden"},
    {"de", "lead", "was kostet der {p} für unser Team mit {n} Leuten?"},
    {"ar", "support", "طلبي رقم {n} لم يصل حتى الآن، أرجو المساعدة"},
    {"ar", "lead", "كم سعر {p}؟ أريد شراء اثنين"},
    {"hi", "support", "मेरा ऑर्डर {n} अभी तक नहीं आया, कृपया मदद करें"},
    {"hi", "lead", "bhai {p} kitne ka hai? 2 lena hai"},
    {"ur", "support", "میرا اکاؤنٹ کام نہیں کر رہا، مدد کریں"},
    {"bn", "feedback", "{b} এর নতুন {p} দারুণ, খুব ভালো লেগেছে"},
    {"id", "support", "pesanan saya {n} belum sampai, tolong dicek"},
    {"tr", "support", "uygulama açılmıyor, sürekli hata veriyor"},
};

constexpr const char* kBrands[] = {"Kestrel Mobile", "Tidewater Bank", "Brightloom", "Copperline Air", "Fernhill Foods",
                                   "Northgate Energy", "Pixelforge", "Saltmarsh Hotels"};
constexpr const char* kProducts[] = {"Pulse band", "family plan", "router", "smart kettle", "premium tier",
                                     "travel card", "air purifier", "meal kit", "e-bike", "noise-cancelling headphones"};
// One outage, told many ways (written for the project).
constexpr Template kBurstTemplates[] = {
    {"en", "support", "is {b} down? the app shows an error for everyone here"},
    {"en", "support", "{b} not working again, can't pay or log in, what is going on"},
    {"en", "crisis", "{b} has been down for an hour and nobody says anything, this is a disgrace"},
    {"es", "support", "¿{b} está caído? no puedo entrar desde hace rato"},
    {"pt", "support", "{b} fora do ar? não consigo acessar nada"},
    {"fr", "support", "{b} en panne ? impossible de me connecter depuis ce matin"},
    {"ar", "support", "هل {b} معطل؟ لا أستطيع الدخول منذ ساعة"},
    {"hi", "support", "{b} का ऐप बंद पड़ा है, कोई कुछ बताएगा?"},
    {"id", "support", "{b} lagi down ya? dari tadi tidak bisa masuk"},
};

constexpr const char* kChannels[] = {"x", "instagram", "facebook", "whatsapp", "tiktok", "reddit", "telegram"};

}  // namespace

uint64_t ArchiveGenerator::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

ArchiveGenerator::ArchiveGenerator(GeneratorOptions options)
    : options_(std::move(options)), state_(options_.seed * 0x9E3779B97F4A7C15ull + 1) {
  if (options_.brands < 1) options_.brands = 1;
}

ArchiveGenerator::ArchiveGenerator(uint64_t seed, std::string id_prefix)
    : ArchiveGenerator([&] {
        GeneratorOptions o;
        o.seed = seed;
        o.id_prefix = std::move(id_prefix);
        return o;
      }()) {}

namespace {

std::string BrandName(int index) {
  if (index < static_cast<int>(std::size(kBrands))) return kBrands[index];
  return "Brand " + std::to_string(index + 1);
}

std::string Fill(const char* pattern, const std::string& brand, const char* product, const std::string& number) {
  std::string text;
  for (const char* c = pattern; *c; ++c) {
    if (c[0] == '{' && c[1] && c[2] == '}') {
      text += c[1] == 'b' ? brand : c[1] == 'p' ? std::string(product) : number;
      c += 2;
    } else {
      text += *c;
    }
  }
  return text;
}

}  // namespace

void ArchiveGenerator::AppendLine(std::string* out) {
  if (options_.burst_at >= 0 && static_cast<int64_t>(seq_) == options_.burst_at) burst_left_ = options_.burst_messages;
  if (burst_left_ > 0) return AppendBurstLine(out);
  const Template& t = kTemplates[Pick(std::size(kTemplates))];
  std::string brand = options_.brands <= static_cast<int>(std::size(kBrands))
                          ? std::string(kBrands[Pick(static_cast<size_t>(options_.brands))])
                          : BrandName(static_cast<int>(Pick(static_cast<size_t>(options_.brands))));
  const char* product = kProducts[Pick(std::size(kProducts))];
  const char* channel = kChannels[Pick(std::size(kChannels))];
  std::string number = std::to_string(10000 + Pick(90000000));
  std::string text = Fill(t.text, brand, product, number);
  time_ += static_cast<int64_t>(Pick(20));
  AppendFields(channel, brand, text, t.lang, t.label, nullptr, out);
}

void ArchiveGenerator::AppendBurstLine(std::string* out) {
  --burst_left_;
  const Template& t = kBurstTemplates[Pick(std::size(kBurstTemplates))];
  std::string brand = BrandName(options_.burst_brand);
  const char* channel = kChannels[Pick(3)];  // public channels
  std::string text = Fill(t.text, brand, "", "");
  time_ += options_.burst_gap_seconds;
  AppendFields(channel, brand, text, t.lang, t.label, "gen-burst", out);
}

void ArchiveGenerator::AppendFields(const char* channel, const std::string& brand, const std::string& text,
                                    const char* lang, const char* label, const char* incident, std::string* out) {
  ++seq_;
  std::string ts = FormatRfc3339(time_ * 1000);
  bool is_private = channel == std::string_view("whatsapp") || channel == std::string_view("telegram");

  out->append("{\"id\":\"");
  out->append(options_.id_prefix);
  out->push_back(':');
  AppendJsonInt(static_cast<int64_t>(seq_), out);
  out->append("\",\"channel\":\"");
  out->append(channel);
  out->append(is_private ? "\",\"kind\":\"private\"" : "\",\"kind\":\"public\"");
  out->append(",\"conversation_id\":\"gen-conv-");
  AppendJsonInt(static_cast<int64_t>(seq_ - Pick(3) * (seq_ > 3)), out);
  out->append("\",\"in_reply_to\":null,\"author\":{\"id\":\"gen-u");
  AppendJsonInt(static_cast<int64_t>(Pick(1000000)), out);
  out->append("\",\"handle\":\"user");
  AppendJsonInt(static_cast<int64_t>(Pick(1000000)), out);
  out->append("\",\"followers\":");
  AppendJsonInt(static_cast<int64_t>(Pick(8) == 0 ? Pick(2000000) : Pick(3000)), out);
  out->append(",\"verified\":");
  out->append(Pick(20) == 0 ? "true" : "false");
  out->append("},\"brand\":");
  AppendJsonString(brand, out);
  out->append(",\"text\":");
  AppendJsonString(text, out);
  out->append(",\"lang\":\"");
  out->append(lang);
  out->append("\",\"created_at\":\"");
  out->append(ts);
  out->append("\",\"label\":\"");
  out->append(label);
  if (incident) {
    out->append("\",\"incident\":\"");
    out->append(incident);
  }
  out->append("\"}\n");
}

}  // namespace triage
