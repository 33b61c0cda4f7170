import { ActionIcon, Box, Button, Group, Text, Tooltip, UnstyledButton } from '@mantine/core'
import { IconChevronDown, IconChevronRight, IconEye, IconEyeOff } from '@tabler/icons-react'
import { useState } from 'react'
import type { InspectorNode } from '../../../../shared/api/inspector'
import { useTimeFormat } from '../../app/time-format'

/** HL7 data types holding a date or time: rendered in words beside the raw value. */
const TIME_TYPES = new Set(['TS', 'DTM', 'DT'])

interface TreeProps {
  onReveal?(path: string): void
  /** Masks a revealed field again. */
  onHide?(path: string): void
  revealed: Record<string, InspectorNode>
  /** Paths whose node is highlighted (the lineage of a mapped field). */
  highlight?: ReadonlySet<string>
}

/**
 * A message as a tree: one line per node with its label (PID-5), name (Patient Name) and decoded
 * value; hovering shows the path. Masked nodes offer "Reveal", which asks the engine for that one
 * field (an audited call) and swaps the node in; "Hide" masks it again. Date/time fields show
 * their value in words beside the raw text, in the zone the person reads times in.
 */
export function InspectorTree({ nodes, ...props }: { nodes: InspectorNode[] } & TreeProps) {
  return (
    <Box role="tree" aria-label="Message tree" ff="monospace" fz="sm">
      {nodes.map((n) => (
        <TreeNode key={n.path} node={n} depth={0} {...props} />
      ))}
    </Box>
  )
}

function TreeNode({ node: given, depth, ...props }: { node: InspectorNode; depth: number } & TreeProps) {
  const { onReveal, onHide, revealed, highlight } = props
  const fmt = useTimeFormat()
  const isRevealed = revealed[given.path] !== undefined
  const node = revealed[given.path] ?? given
  const hasChildren = Boolean(node.children?.length)
  const [open, setOpen] = useState(depth === 0 || Boolean(highlight && [...highlight].some((p) => p.startsWith(`${given.path}-`) || p.startsWith(`${given.path}.`))))
  const lit = highlight?.has(node.path) ?? false
  const readable = node.value !== undefined && node.dataType && TIME_TYPES.has(node.dataType) ? fmt.hl7(node.value) : null
  return (
    <div role="treeitem" aria-expanded={hasChildren ? open : undefined} aria-label={node.label} data-path={node.path} data-lineage={lit ? 'true' : undefined}>
      <Group gap={6} wrap="nowrap" pl={depth * 18} py={1} align="flex-start" bg={lit ? 'var(--mantine-color-yellow-light)' : undefined}>
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
          <Group gap={6} wrap="nowrap" align="flex-start">
            <Text span fz="sm" ff="monospace" c={hasChildren && open ? 'dimmed' : undefined} style={{ wordBreak: 'break-all' }} data-testid={`value-${node.path}`}>
              {node.value}
            </Text>
            {readable ? (
              <Text span fz="sm" ff="sans-serif" c="dimmed" data-testid={`readable-${node.path}`}>
                = {readable}
              </Text>
            ) : null}
            {isRevealed && onHide ? (
              <Button size="compact-xs" variant="subtle" color="gray" leftSection={<IconEyeOff size={12} />} onClick={() => onHide(given.path)} aria-label={`Hide ${node.label}`}>
                Hide
              </Button>
            ) : null}
          </Group>
        ) : null}
      </Group>
      {hasChildren && open ? (
        <div role="group">
          {node.children!.map((c) => (
            <TreeNode key={c.path} node={c} depth={depth + 1} {...props} />
          ))}
        </div>
      ) : null}
    </div>
  )
}
