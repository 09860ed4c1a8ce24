import { DockerfileParser } from "dockerfile-ast";

/** A `FROM` of a Dockerfile: the image it names and its 1-based line in the file. */
export interface DockerfileBase {
  image: string;
  line: number;
}

/**
 * The images a Dockerfile builds on, parsed by dockerfile-ast (the parser of
 * VS Code's Docker language server). A `FROM` that names an earlier build
 * stage (`FROM base`) is not an image and is left out.
 */
export function baseImages(text: string): DockerfileBase[] {
  const stages = new Set<string>();
  const out: DockerfileBase[] = [];
  for (const from of DockerfileParser.parse(text).getFROMs()) {
    const image = from.getImage();
    if (image !== null && !stages.has(image)) out.push({ image, line: from.getRange().start.line + 1 });
    const stage = from.getBuildStage();
    if (stage) stages.add(stage);
  }
  return out;
}
