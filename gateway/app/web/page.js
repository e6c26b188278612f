// The page's behaviour: the token, the clock's settings, the test message and its preview, the ready-to-paste setups.
// The token leaves this browser only in the Authorization header of the test message, to this relay.

import { Preview } from "./matrix.js";
import { bridgeConfig, curlCommand, homeAssistantYaml, iftttUrl, messageBody } from "./snippets.js";
import { forgetToken, generateToken, loadToken, saveToken, tokenProblem } from "./token.js";

const $ = (id) => document.getElementById(id);
const data = $("app").dataset;
const relay = {
  host: data.mqttHost || location.hostname,
  port: data.mqttPort,
  topicRoot: data.topicRoot,
  tokenMin: Number(data.tokenMin),
  tokenMax: Number(data.tokenMax),
  tokenLength: Number(data.tokenLength),
  prefixMax: Number(data.prefixMax),
};
// The relay ignores a clock's password, but AWTRIX 3 sends its username only when a password is set.
const PASSWORD = "awtrix";
const PLACEHOLDER_TOKEN = "YOUR_TOKEN";
const bridgeSuffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
const preview = new Preview($("preview"));
let token = null;

function storedToken() {
  const stored = loadToken();
  return stored && !tokenProblem(stored, relay.tokenMin, relay.tokenMax) ? stored : null;
}

function fill(field, value) {
  for (const element of document.querySelectorAll(`[data-field="${field}"]`)) element.textContent = value;
}

function setToken(value) {
  token = value;
  if (value) saveToken(value);
  else forgetToken();
  render();
}

function render() {
  const has = Boolean(token);
  $("token-none").hidden = has;
  $("token-have").hidden = !has;
  document.body.classList.toggle("has-token", has);
  const prefix = has ? `${relay.topicRoot}/${token}` : "";
  fill("host", relay.host);
  fill("port", relay.port);
  fill("password", PASSWORD);
  fill("token", token ?? "");
  fill("prefix", prefix);
  $("token-long").hidden = prefix.length <= relay.prefixMax;
  $("test-send").disabled = !has;
  renderMessage();
}

function currentBody() {
  const form = $("test-form").elements;
  return messageBody({
    text: form.text.value,
    color: form.color.value,
    icon: form.icon.value.trim(),
    duration: /^\d+$/.test(form.duration.value) ? form.duration.value : "",
  });
}

// Everything that shows the message or the token: the preview, the request, the setups to paste.
function renderMessage() {
  const body = currentBody();
  const shown = token ?? PLACEHOLDER_TOKEN;
  preview.show({ text: body.text, color: $("test-color").value, icon: Boolean(body.icon) });
  $("test-request").textContent =
    `POST /cloud?mode=notify\nAuthorization: Bearer ${shown}\nContent-Type: application/json\n\n${JSON.stringify(body)}`;
  $("ifttt-url").textContent = iftttUrl(location.origin, "notify", shown);
  fill("body", JSON.stringify(body));
  $("ha-yaml").textContent = homeAssistantYaml(location.origin, shown, body);
  $("curl").textContent = curlCommand(location.origin, shown, body);
  const prefix = $("bridge-prefix").value.trim() || "YOUR_AWTRIX_PREFIX";
  $("bridge-conf").textContent = bridgeConfig({ ...relay, token: shown, prefix, suffix: bridgeSuffix });
  for (const button of document.querySelectorAll("button.copy")) button.disabled = !copySource(button).textContent;
}

function copySource(button) {
  return button.parentElement.querySelector("code");
}

// The clipboard needs a secure context (https or this computer); elsewhere the text is selected for Ctrl+C.
async function copy(button) {
  const source = copySource(button);
  let copied = false;
  try {
    await navigator.clipboard.writeText(source.textContent);
    copied = true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(source);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
  }
  $("copied").textContent = copied ? "Copied." : "Selected: press Ctrl+C (or ⌘C) to copy.";
  button.textContent = copied ? "Copied" : "Selected";
  setTimeout(() => (button.textContent = "Copy"), 1500);
}

function explain(status, answer, retryAfter) {
  if (answer?.delivered === true) return ["delivered", "Delivered: your clock received it."];
  if (answer?.delivered === false) {
    return ["not-delivered", "Not delivered: no clock with this token is connected right now, and nothing is kept for " +
      "later. Check the clock's MQTT settings above, wait until it has connected, and send again."];
  }
  if (answer?.accepted === true) {
    return ["accepted", "Accepted. This relay does not say whether a clock received it (its operator chose so): look at your clock."];
  }
  if (answer && answer.delivered === null) return ["unknown", "Sent, but this relay cannot tell whether a clock received it: look at your clock."];
  if (status === 429) return ["refused", `Too many messages for now: wait ${retryAfter ?? "a few"} seconds and send again.`];
  if (answer?.error) return ["refused", `Refused (${answer.error.code}): ${answer.error.message}`];
  return ["refused", `The relay answered something unexpected (HTTP ${status}).`];
}

function showAnswer(outcome, words, raw) {
  const box = $("test-answer");
  box.hidden = false;
  box.dataset.outcome = outcome;
  $("test-answer-text").textContent = words;
  $("test-answer-raw").textContent = raw;
}

async function sendTest(event) {
  event.preventDefault();
  if (!token) return;
  const button = $("test-send");
  button.disabled = true;
  showAnswer("sending", "Sending…", "");
  try {
    const response = await fetch("/cloud?mode=notify", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify(currentBody()),
      cache: "no-store",
      credentials: "omit",
      redirect: "error",
    });
    const text = (await response.text()).trim();
    let answer = null;
    try {
      answer = JSON.parse(text);
    } catch {
      answer = null;
    }
    const [outcome, words] = explain(response.status, answer, response.headers.get("Retry-After"));
    showAnswer(outcome, words, `HTTP ${response.status}\n${text}`);
  } catch (error) {
    showAnswer("unreachable", "The relay did not answer. Check your connection and send again.", String(error));
  } finally {
    button.disabled = !token;
  }
}

function usePasted(event) {
  event.preventDefault();
  const input = $("token-paste");
  const pasted = input.value.trim();
  const problem = tokenProblem(pasted, relay.tokenMin, relay.tokenMax);
  $("token-problem").hidden = !problem;
  $("token-problem").textContent = problem ?? "";
  input.setAttribute("aria-invalid", String(Boolean(problem)));
  if (problem) return;
  input.value = "";
  setToken(pasted);
  $("token-have").querySelector("button.copy").focus();
}

function showFirmware() {
  const chosen = document.querySelector('input[name="firmware"]:checked').value;
  for (const panel of document.querySelectorAll("#setup .panel")) panel.hidden = panel.dataset.firmware !== chosen;
}

$("token-generate").addEventListener("click", () => {
  setToken(generateToken(relay.tokenLength));
  $("token-have").querySelector("button.copy").focus();
});
$("token-paste-form").addEventListener("submit", usePasted);
$("token-forget").addEventListener("click", () => {
  setToken(null);
  $("token-generate").focus();
});
$("test-form").addEventListener("submit", sendTest);
$("test-form").addEventListener("input", renderMessage);
$("bridge-form").addEventListener("input", renderMessage);
$("bridge-form").addEventListener("submit", (event) => event.preventDefault());
for (const radio of document.querySelectorAll('input[name="firmware"]')) radio.addEventListener("change", showFirmware);
document.addEventListener("click", (event) => {
  const button = event.target.closest("button.copy");
  if (button) copy(button);
});
// Another tab of this page made or forgot a token.
addEventListener("storage", () => {
  token = storedToken();
  render();
});
token = storedToken();
showFirmware();
render();
document.body.dataset.ready = "true";
