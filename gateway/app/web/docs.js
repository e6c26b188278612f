// Draw /openapi.json with Swagger UI (served by this relay), configured here rather than in an inline script.
// validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io for a badge.
window.addEventListener("DOMContentLoaded", () => {
  window.ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    onComplete: () => {
      document.body.dataset.ready = "true";
    },
  });
});
