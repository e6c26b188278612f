// What people paste elsewhere, filled in: the message body, IFTTT's fields, Home Assistant's YAML, curl, a bridge.

// The notification as AWTRIX 3 takes it (README "Sending webhooks"): empty fields left out.
export function messageBody({ text, color, icon, duration }) {
  const body = { text };
  if (icon) body.icon = icon;
  if (color) body.color = color.toUpperCase();
  if (duration) body.duration = Number(duration);
  return body;
}

export function webhookUrl(origin, mode) {
  return `${origin}/cloud?mode=${encodeURIComponent(mode)}`;
}

// IFTTT cannot set an Authorization header: the token goes in the query string.
export function iftttUrl(origin, mode, token) {
  return `${webhookUrl(origin, mode)}&token=${encodeURIComponent(token)}`;
}

// A rest_command whose payload Home Assistant builds with tojson, so quotes in a message cannot break it.
export function homeAssistantYaml(origin, token, body) {
  const fields = Object.entries(body).map(([key, value]) =>
    key === "text" ? `"text": message | default(${JSON.stringify(value)})` : `${JSON.stringify(key)}: ${JSON.stringify(value)}`,
  );
  return [
    "rest_command:",
    "  awtrix_cloud:",
    `    url: "${webhookUrl(origin, "notify")}"`,
    "    method: post",
    "    headers:",
    `      Authorization: "Bearer ${token}"`,
    '    content_type: "application/json"',
    "    payload: >-",
    `      {{ {${fields.join(", ")}} | tojson }}`,
  ].join("\n");
}

function shellQuoted(text) {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

export function curlCommand(origin, token, body) {
  return [
    `curl -X POST ${shellQuoted(webhookUrl(origin, "notify"))} \\`,
    `     -H ${shellQuoted(`Authorization: Bearer ${token}`)} \\`,
    "     -H 'Content-Type: application/json' \\",
    `     -d ${shellQuoted(JSON.stringify(body))}`,
  ].join("\n");
}

// config/mosquitto/bridge.conf.example, filled in (tests/e2e/test_page_in_browser.py compares the two).
export function bridgeConfig({ host, port, token, prefix, suffix, topicRoot }) {
  return [
    "# awtrix-cloud: your home Mosquitto logs in to the relay as your clock would, and passes",
    "# every message for your token on to your clock's own prefix. Nothing travels the other way.",
    "connection awtrix-cloud",
    `address ${host}:${port}`,
    `remote_username ${token}`,
    "# Two clients with one id would disconnect each other: keep this one unique.",
    `remote_clientid awtrix-bridge-${suffix}`,
    "bridge_protocol_version mqttv311",
    "try_private false",
    "cleansession true",
    "# The relay keeps no retained messages, so the bridge keeps its own state at home.",
    "notifications_local_only true",
    `topic # in 0 ${prefix}/ ${topicRoot}/${token}/`,
  ].join("\n");
}
