// Posts a file as a comment on the pull request, through the API that GitHub and
// Gitea share (POST /repos/{owner}/{repo}/issues/{number}/comments).
import { readFileSync } from "node:fs";

const [file] = process.argv.slice(2);
const { GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN, PR_NUMBER } = process.env;
if (!GITHUB_API_URL || !GITHUB_REPOSITORY || !GITHUB_TOKEN || !PR_NUMBER) {
  console.error("no pull request API here; the preview is in the job summary");
  process.exit(1);
}
let text;
try {
  text = readFileSync(file, "utf8");
} catch {
  text = "(the preview did not run; see the job log)";
}
// Keep the comment under the APIs' size limits; the full output is in the job summary.
const body = `### pulumi preview --stack prod --policy-pack policies\n\n\`\`\`\n${text.slice(-60000)}\n\`\`\`\n`;
const response = await fetch(`${GITHUB_API_URL}/repos/${GITHUB_REPOSITORY}/issues/${PR_NUMBER}/comments`, {
  method: "POST",
  headers: { Authorization: `token ${GITHUB_TOKEN}`, "Content-Type": "application/json", Accept: "application/json" },
  body: JSON.stringify({ body }),
});
if (!response.ok) {
  console.error(`commenting failed: ${response.status} ${await response.text()}`);
  process.exit(1);
}
