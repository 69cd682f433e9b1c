import { graphql, useLazyLoadQuery } from "react-relay";
import type { WorkspaceQuery } from "./__generated__/WorkspaceQuery.graphql";
import { AiPanel } from "./features/ai/AiPanel";
import { UploadsPanel } from "./features/uploads/UploadsPanel";

/** The signed-in page: one query for both panels, each reading its own fragment of the viewer. */
export function Workspace({ fetchKey }: { fetchKey: number }) {
  const { viewer } = useLazyLoadQuery<WorkspaceQuery>(
    graphql`
      query WorkspaceQuery {
        viewer {
          ...UploadsPanel_viewer
          ...AiPanel_viewer
        }
      }
    `,
    {},
    { fetchKey, fetchPolicy: "store-or-network" },
  );
  return (
    <main className="app-main">
      <UploadsPanel viewer={viewer} />
      <AiPanel viewer={viewer} />
    </main>
  );
}
