{{- /*
  Only Go text/template built-ins here and in every template (no Sprig functions such as toYaml,
  include or quote): the project's tests render the chart with the Go template engine itself
  (test/helm). `printf "%q"` quotes a value as a YAML double-quoted string; labels are YAML flow
  maps so they need no indentation function.
*/ -}}

{{- define "mcp-auth.connectionsSecret" -}}
{{- if .Values.connections.existingSecret }}{{ .Values.connections.existingSecret }}{{ else }}{{ .Release.Name }}-connections{{ end }}
{{- end }}

{{- define "mcp-auth.signingKeySecret" -}}
{{- if .Values.signingKey.existingSecret }}{{ .Values.signingKey.existingSecret }}{{ else }}{{ .Release.Name }}-signing-key{{ end }}
{{- end }}

{{- define "mcp-auth.image" -}}
{{ printf "%s:%s" .Values.image.repository .Values.image.tag | printf "%q" }}
{{- end }}

{{- /* The pod template's security settings, the same for every container of the chart. */ -}}
{{- define "mcp-auth.containerSecurityContext" -}}
{ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: [ALL] }, seccompProfile: { type: RuntimeDefault } }
{{- end }}
