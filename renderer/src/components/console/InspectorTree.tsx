import { ActionIcon, Box, Button, Group, Text, Tooltip, UnstyledButton } from '@mantine/core'
import { IconChevronDown, IconChevronRight, IconEye } from '@tabler/icons-react'
import { useState } from 'react'
import type { InspectorNode } from '../../../../shared/api/inspector'

/**
 * A message as a tree: one line per node with its label (PID-5), name (Patient Name) and decoded
 * value; hovering shows the path. Masked nodes offer "Reveal", which asks the engine for that one
 * field (an audited call) and swaps the node in.
 */
export function InspectorTree({ nodes, onReveal, revealed }: { nodes: InspectorNode[]; onReveal?(path: string): void; revealed: Record<string, InspectorNode> }) {
  return (
    <Box role="tree" aria-label="Message tree" ff="monospace" fz="sm">
      {nodes.map((n) => (
        <TreeNode key={n.path} node={n} depth={0} onReveal={onReveal} revealed={revealed} />
      ))}
    </Box>
  )
}

function TreeNode({ node: given, depth, onReveal, revealed }: { node: InspectorNode; depth: number; onReveal?(path: string): void; revealed: Record<string, InspectorNode> }) {
  const node = revealed[given.path] ?? given
  const hasChildren = Boolean(node.children?.length)
  const [open, setOpen] = useState(depth === 0)
  return (
    <div role="treeitem" aria-expanded={hasChildren ? open : undefined} aria-label={node.label} data-path={node.path}>
      <Group gap={6} wrap="nowrap" pl={depth * 18} py={1} align="flex-start">
        {hasChildren ? (
          <ActionIcon size="xs" variant="subtle" onClick={() => setOpen((o) => !o)} aria-label={`${open ? 'Collapse' : 'Expand'} ${node.label}`}>
            {open ? <IconChevronDown size={12} /> : <IconChevronRight size={12} />}
          </ActionIcon>
        ) : (
          <Box w={18} />
        )}
        <Tooltip label={node.path || node.label} openDelay={300}>
          <UnstyledButton onClick={() => hasChildren && setOpen((o) => !o)} style={{ whiteSpace: 'nowrap' }}>
            <Text span fw={600} ff="monospace" fz="sm">
              {node.label}
            </Text>
            {node.name ? (
              <Text span c="dimmed" fz="sm" ff="sans-serif">
                {' '}
                {node.name}
              </Text>
            ) : null}
          </UnstyledButton>
        </Tooltip>
        {node.masked ? (
          <Group gap={4} wrap="nowrap">
            <Text span c="dimmed" data-testid={`masked-${node.path}`}>
              •••
            </Text>
            {onReveal ? (
              <Button size="compact-xs" variant="light" color="orange" leftSection={<IconEye size={12} />} onClick={() => onReveal(node.path)} aria-label={`Reveal ${node.label}`}>
                Reveal
              </Button>
            ) : null}
          </Group>
        ) : node.value !== undefined ? (
          <Text span fz="sm" ff="monospace" c={hasChildren && open ? 'dimmed' : undefined} style={{ wordBreak: 'break-all' }} data-testid={`value-${node.path}`}>
            {node.value}
          </Text>
        ) : null}
      </Group>
      {hasChildren && open ? (
        <div role="group">
          {node.children!.map((c) => (
            <TreeNode key={c.path} node={c} depth={depth + 1} onReveal={onReveal} revealed={revealed} />
          ))}
        </div>
      ) : null}
    </div>
  )
}
