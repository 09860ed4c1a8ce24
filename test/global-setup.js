// Builds the CLI bundles (`npm run plan`, `npm run advise`) before the workers start, so that no two tests build them at once.
module.exports = () => require("../cli/launch").ensureBuilt();
